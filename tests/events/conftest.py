"""Event log backends for the contract suite and the events tests: SQLite and real Redis.

Redis (127.0.0.1:6379) runs on the development machine and in CI. Unreachable in CI (`CI` set),
the Redis-backed tests fail saying so: a silent skip would let the production backend rot.
Each test gets its own key prefix, deleted afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.support.clock import FakeMonotonic
from tests.support.events import REDIS_URL, open_backend
from vodstack.events.log import EventLog


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A fresh key prefix on the test Redis; its keys are deleted after the test."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        message = f"Redis is unreachable at {REDIS_URL} ({exc}); start it or deselect -m redis"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    prefix = f"vodstack-test:{secrets.token_hex(6)}"
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


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
