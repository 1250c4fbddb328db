"""The idempotent SQLite sink every consumer builds on: effects and the applied event id are
written in one transaction, so a replayed event (after a crash before the log commit) is
recognised and skipped, and a crash mid-batch leaves no half-applied batch behind.

A block is applied with a handful of statements whatever its size: one lookup of the ids
already applied, one `executemany` of the new ids, and the sink's `effects` for the new events
(sinks that sum fold the block in Python first: one upsert per distinct row, not per event).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vodstack.contracts.events import AnyEvent

_APPLIED = """
CREATE TABLE IF NOT EXISTS applied (id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS applied_age ON applied (at);
CREATE TABLE IF NOT EXISTS replays (n INTEGER NOT NULL);
INSERT INTO replays SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM replays);
"""


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class SqliteSink(ABC):
    schema: str = ""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._db.executescript(_APPLIED + self.schema)
        self._lock = threading.Lock()

    def apply(self, events: Sequence[AnyEvent]) -> int:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                fresh = self._fresh(events)
                self._db.executemany(
                    "INSERT INTO applied VALUES (?, ?)", [(key, now) for key in fresh]
                )
                self.effects(self._db, list(fresh.values()))
                if len(events) > len(fresh):
                    self._db.execute("UPDATE replays SET n = n + ?", (len(events) - len(fresh),))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return len(fresh)

    def _fresh(self, events: Sequence[AnyEvent]) -> dict[str, AnyEvent]:
        """The events whose ids were never applied, by id, in order (the first of repeats)."""
        keyed: dict[str, AnyEvent] = {}
        for event in events:
            keyed.setdefault(f"{event.profile_id}:{event.event_id}", event)
        # One query whatever the block's size: the ids travel as one JSON array parameter.
        applied = self._db.execute(
            "SELECT id FROM applied WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(keyed)),),
        )
        for (key,) in applied:
            del keyed[key]
        return keyed

    def effects(self, db: sqlite3.Connection, events: Sequence[AnyEvent]) -> None:
        """Apply new events (inside the sink's transaction); by default one at a time."""
        for event in events:
            self.effect(db, event)

    @abstractmethod
    def effect(self, db: sqlite3.Connection, event: AnyEvent) -> None:
        """Apply one new event (inside the sink's transaction)."""

    def forget_applied(self, older_than: float) -> int:
        """Drop applied ids recorded before `older_than` (epoch seconds). Safe once the log no
        longer retains their records: nothing can replay them then."""
        with self._lock:
            gone = self._db.execute("DELETE FROM applied WHERE at < ?", (older_than,)).rowcount
            return int(gone)

    def replays(self) -> int:
        """Events delivered again and skipped (duplicates absorbed) since the sink was created."""
        return int(self.query("SELECT n FROM replays")[0][0])

    def query(self, sql: str, args: tuple[object, ...] = ()) -> list[Any]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def close(self) -> None:
        with self._lock:
            self._db.close()
