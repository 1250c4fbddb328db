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

from vodstack.events.log import EventLog
from vodstack.events.log.redis_streams import RedisEventLog
from vodstack.events.log.sqlite import SqliteEventLog

REDIS_URL = os.environ.get("VODSTACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PARTITIONS = 4


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


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


def open_backend(kind: str, tmp_path: Path, clock: FakeClock, prefix: str | None) -> EventLog:
    if kind == "sqlite":
        return SqliteEventLog(tmp_path / "log.sqlite", PARTITIONS, clock=clock)
    assert prefix is not None
    return RedisEventLog(REDIS_URL, PARTITIONS, prefix=prefix, clock=clock)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def event_log(
    backend: str, tmp_path: Path, clock: FakeClock, request: pytest.FixtureRequest
) -> Iterator[EventLog]:
    """The log on every backend (the contract suite runs once per backend)."""
    prefix = request.getfixturevalue("redis_prefix") if backend == "redis" else None
    log = open_backend(backend, tmp_path, clock, prefix)
    yield log
    log.close()
