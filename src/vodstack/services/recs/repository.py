"""The fast store of precomputed recommendations: each profile's ranked titles and each title's
neighbours, read per home page with one primary-key lookup each.

SQLite (WAL) under data_dir/recs; ids are packed as int32 blobs (100 ids in 400 bytes, 100k
profiles in 40 MB). A training run replaces everything in one transaction, so a reader sees the
previous run or the new one, never a mix.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from vodstack.events.consumers.sink import connect
from vodstack.services.recs.trainer import Trained

_SCHEMA = """
CREATE TABLE IF NOT EXISTS recommended (profile_id INTEGER PRIMARY KEY, titles BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS neighbours (title_id INTEGER PRIMARY KEY, titles BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, model TEXT NOT NULL, profiles INTEGER NOT NULL,
    titles INTEGER NOT NULL, interactions INTEGER NOT NULL, seconds REAL NOT NULL,
    at TEXT NOT NULL
);
"""


def _pack(ids: list[int]) -> bytes:
    return np.asarray(ids, dtype="<i4").tobytes()


def _unpack(blob: bytes) -> list[int]:
    return [int(i) for i in np.frombuffer(blob, dtype="<i4")]


class RecsStore:
    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def replace(self, trained: Trained) -> datetime:
        at = datetime.now(UTC)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM recommended")
                self._db.execute("DELETE FROM neighbours")
                self._db.executemany(
                    "INSERT INTO recommended VALUES (?, ?)",
                    ((p, _pack(t)) for p, t in trained.recommended.items()),
                )
                self._db.executemany(
                    "INSERT INTO neighbours VALUES (?, ?)",
                    ((i, _pack(t)) for i, t in trained.neighbours.items()),
                )
                self._db.execute(
                    "INSERT INTO runs (model, profiles, titles, interactions, seconds, at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        trained.model,
                        len(trained.recommended),
                        len(trained.neighbours),
                        trained.interactions,
                        trained.seconds,
                        at.isoformat(),
                    ),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return at

    def recommended(self, profile_id: int) -> list[int] | None:
        """The profile's ranked titles; None when the trainer has never seen it (cold start)."""
        row = self._one("SELECT titles FROM recommended WHERE profile_id = ?", profile_id)
        return None if row is None else _unpack(row)

    def neighbours(self, title_id: int) -> list[int]:
        row = self._one("SELECT titles FROM neighbours WHERE title_id = ?", title_id)
        return [] if row is None else _unpack(row)

    def last_run(self) -> tuple[str, int, int, int, float, datetime] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT model, profiles, titles, interactions, seconds, at FROM runs "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        model, profiles, titles, interactions, seconds, at = row
        return (
            str(model),
            int(profiles),
            int(titles),
            int(interactions),
            float(seconds),
            datetime.fromisoformat(at),
        )

    def _one(self, sql: str, key: int) -> bytes | None:
        with self._lock:
            row = self._db.execute(sql, (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(data_dir: Path) -> RecsStore:
    return RecsStore(data_dir / "recs" / "rows.sqlite")
