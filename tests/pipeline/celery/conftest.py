"""Fixtures for the Celery executor tests: the run's SeaweedFS, RabbitMQ (required), a queue of
each test's own."""

from collections.abc import Iterator

import pytest

from tests.support.celery_workers import delete_queue, require_rabbitmq, unique_queue
from tests.support.seaweedfs import seaweedfs

__all__ = ["seaweedfs"]


@pytest.fixture
def task_queue() -> Iterator[str]:
    require_rabbitmq()
    name = unique_queue()
    yield name
    delete_queue(name)
