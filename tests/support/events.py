"""Event log backends for the contract suite and the events tests: SQLite and real Redis."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.clock import FakeMonotonic
from vodstack.events.log import EventLog
from vodstack.events.log.redis_streams import RedisEventLog
from vodstack.events.log.sqlite import SqliteEventLog

REDIS_URL = os.environ.get("VODSTACK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PARTITIONS = 4


def open_backend(kind: str, tmp_path: Path, clock: FakeMonotonic, prefix: str | None) -> EventLog:
    if kind == "sqlite":
        return SqliteEventLog(tmp_path / "log.sqlite", PARTITIONS, clock=clock)
    assert prefix is not None
    return RedisEventLog(REDIS_URL, PARTITIONS, prefix=prefix, clock=clock)
