"""The embedded backend: one SQLite file (WAL), for `make up` and tests. Nothing to run.

Several processes may share the file (the events service appends, consumers read and commit);
SQLite's WAL mode lets readers run beside the one writer, and `busy_timeout` queues writers.
Every append of a batch happens in one transaction: the batch is durable, or none of it is.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vodstack.events.log.interface import (
    Appended,
    DeadLetter,
    EventLog,
    LogClosed,
    LogUnavailable,
    Record,
)

Clock = Callable[[], float]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    partition INTEGER NOT NULL, offset INTEGER NOT NULL, key TEXT NOT NULL,
    payload BLOB NOT NULL, appended_at REAL NOT NULL, PRIMARY KEY (partition, offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS heads (partition INTEGER PRIMARY KEY, next INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dedup (id TEXT PRIMARY KEY, appended_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS dedup_age ON dedup (appended_at);
CREATE TABLE IF NOT EXISTS offsets (
    grp TEXT NOT NULL, partition INTEGER NOT NULL, next INTEGER NOT NULL,
    PRIMARY KEY (grp, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead (
    offset INTEGER PRIMARY KEY, grp TEXT NOT NULL, reason TEXT NOT NULL,
    partition INTEGER NOT NULL, record_offset INTEGER NOT NULL, key TEXT NOT NULL,
    payload BLOB NOT NULL, appended_at REAL NOT NULL
);
"""


class SqliteEventLog(EventLog):
    def __init__(self, path: Path, partitions: int, *, clock: Clock = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.partitions = partitions
        self._clock = clock
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = sqlite3.connect(
            path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a crash
        self._db.executescript(_SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db is None:
                raise LogClosed("the event log is closed")
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # locked past the 30 s busy timeout
                raise LogUnavailable(f"the event log is busy: {exc}") from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def append(self, key: str, payload: bytes, *, dedup_id: str | None = None) -> Appended:
        return self.append_many([(key, payload, dedup_id)])[0]

    def append_many(self, items: Sequence[tuple[str, bytes, str | None]]) -> list[Appended]:
        now = self._clock()
        with self._tx() as db:
            return [self._append(db, key, payload, dedup, now) for key, payload, dedup in items]

    def _append(
        self, db: sqlite3.Connection, key: str, payload: bytes, dedup: str | None, now: float
    ) -> Appended:
        partition = self.partition_of(key)
        if dedup is not None:
            fresh = db.execute("INSERT OR IGNORE INTO dedup VALUES (?, ?)", (dedup, now))
            if fresh.rowcount == 0:
                return Appended(partition, None, duplicate=True)
        offset = _head(db, partition)
        db.execute(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?)", (partition, offset, key, payload, now)
        )
        db.execute("INSERT OR REPLACE INTO heads VALUES (?, ?)", (partition, offset + 1))
        return Appended(partition, offset)

    def read(self, partition: int, offset: int, limit: int = 100) -> list[Record]:
        rows = self._query(
            "SELECT partition, offset, key, payload, appended_at FROM records "
            "WHERE partition = ? AND offset >= ? ORDER BY offset LIMIT ?",
            (partition, offset, limit),
        )
        return [Record(p, o, k, bytes(v), t) for p, o, k, v, t in rows]

    def end_offset(self, partition: int) -> int:
        rows = self._query("SELECT next FROM heads WHERE partition = ?", (partition,))
        return int(rows[0][0]) if rows else 0

    def committed(self, group: str, partition: int) -> int:
        rows = self._query(
            "SELECT next FROM offsets WHERE grp = ? AND partition = ?", (group, partition)
        )
        return int(rows[0][0]) if rows else 0

    def commit(self, group: str, partition: int, offset: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)", (group, partition, offset)
            )

    def commit_many(self, group: str, offsets: Mapping[int, int]) -> None:
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)",
                [(group, partition, offset) for partition, offset in offsets.items()],
            )

    def now(self) -> float:
        return self._clock()

    def trim(self, older_than: float) -> int:
        with self._tx() as db:
            gone = db.execute("DELETE FROM records WHERE appended_at < ?", (older_than,)).rowcount
            db.execute("DELETE FROM dedup WHERE appended_at < ?", (older_than,))
            return int(gone)

    def dead_letter(self, group: str, record: Record, reason: str) -> None:
        with self._tx() as db:
            (offset,) = db.execute("SELECT COALESCE(MAX(offset) + 1, 0) FROM dead").fetchone()
            db.execute(
                "INSERT INTO dead VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (offset, group, reason, record.partition, record.offset, record.key,
                 record.payload, record.appended_at),
            )  # fmt: skip

    def dead_letters(self, offset: int = 0, limit: int = 100) -> list[DeadLetter]:
        rows = self._query(
            "SELECT offset, grp, reason, partition, record_offset, key, payload, appended_at "
            "FROM dead WHERE offset >= ? ORDER BY offset LIMIT ?",
            (offset, limit),
        )
        return [
            DeadLetter(o, g, why, Record(p, ro, k, bytes(v), t))
            for o, g, why, p, ro, k, v, t in rows
        ]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _query(self, sql: str, args: tuple[object, ...]) -> list[Any]:
        with self._lock:
            if self._db is None:
                raise LogClosed("the event log is closed")
            return list(self._db.execute(sql, args).fetchall())


def _head(db: sqlite3.Connection, partition: int) -> int:
    row = db.execute("SELECT next FROM heads WHERE partition = ?", (partition,)).fetchone()
    return int(row[0]) if row else 0
