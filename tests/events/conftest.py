"""Event log backends for the contract suite and the events tests: SQLite and real Redis.

Redis (127.0.0.1:6379) runs on the development machine and in CI. Unreachable in CI (`CI` set),
the Redis-backed tests fail saying so: a silent skip would let the production backend rot.
Each test gets its own key prefix, deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clock import FakeMonotonic
from tests.support.events import REDIS_URL, open_backend
from tests.support.redis_server import redis_prefix as shared_redis_prefix
from vodstack.events.log import EventLog


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix on the events tests' Redis; its keys are deleted after the test."""
    with shared_redis_prefix(REDIS_URL) as prefix:
        yield prefix


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def event_log(
    backend: str, tmp_path: Path, clock: FakeMonotonic, request: pytest.FixtureRequest
) -> Iterator[EventLog]:
    """The log on every backend (the contract suite runs once per backend)."""
    prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else None
    log = open_backend(backend, tmp_path, clock, prefix)
    yield log
    log.close()
