"""The fast store of precomputed recommendations: each profile's ranked titles and each title's
neighbours, read per home page with one primary-key lookup each.

The database `database_urls.recs` names (by default the SQLite file the release before kept,
data_dir/recs/rows.sqlite; tables in models.py, migrations/store); ids are packed as int32
blobs (100 ids in 400 bytes, 100k profiles in 40 MB). A training run replaces everything in one
transaction, so a reader sees the previous run or the new one, never a mix.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Connection

from vodstack.config.settings import Settings
from vodstack.events.consumers.database import Reader, driver_sql, migrated_engine
from vodstack.services.recs.trainer import Trained

SERVICE = "recs"
MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "store"

# Run as the driver's own SQL (events.consumers.database.driver_sql): a run is two
# `executemany`s of up to a row per profile, a page view two primary-key lookups.
_REPLACE = (
    "DELETE FROM recommended",
    "DELETE FROM neighbours",
)
_INSERT_RECOMMENDED = "INSERT INTO recommended (profile_id, titles) VALUES (:key, :titles)"
_INSERT_NEIGHBOURS = "INSERT INTO neighbours (title_id, titles) VALUES (:key, :titles)"
_INSERT_RUN = (
    "INSERT INTO runs (model, profiles, titles, interactions, seconds, at) "
    "VALUES (:model, :profiles, :titles, :interactions, :seconds, :at)"
)
_WRITES = (_INSERT_RECOMMENDED, _INSERT_NEIGHBOURS, _INSERT_RUN)
_RECOMMENDED = "SELECT titles FROM recommended WHERE profile_id = :key"
_NEIGHBOURS = "SELECT titles FROM neighbours WHERE title_id = :key"
_LAST_RUN = (
    "SELECT model, profiles, titles, interactions, seconds, at FROM runs ORDER BY id DESC LIMIT 1"
)


def _pack(ids: list[int]) -> bytes:
    return np.asarray(ids, dtype="<i4").tobytes()


def _unpack(blob: bytes) -> list[int]:
    return [int(i) for i in np.frombuffer(blob, dtype="<i4")]


class RecsStore:
    def __init__(self, url: str) -> None:
        self.engine = migrated_engine(url, SERVICE, MIGRATIONS)
        self._sql = {
            sql: driver_sql(sql, self.engine.dialect.name)
            for sql in (*_WRITES, *_REPLACE, _RECOMMENDED, _NEIGHBOURS, _LAST_RUN)
        }
        self._lock = threading.Lock()  # one training run writes at a time
        self._reader = Reader(self.engine)

    def replace(self, trained: Trained) -> datetime:
        at = datetime.now(UTC)
        with self._lock, self.engine.begin() as conn:
            for sql in _REPLACE:
                conn.exec_driver_sql(self._sql[sql])
            self._insert(conn, _INSERT_RECOMMENDED, trained.recommended)
            self._insert(conn, _INSERT_NEIGHBOURS, trained.neighbours)
            run = {
                "model": trained.model,
                "profiles": len(trained.recommended),
                "titles": len(trained.neighbours),
                "interactions": trained.interactions,
                "seconds": trained.seconds,
                "at": at.isoformat(),
            }
            conn.exec_driver_sql(self._sql[_INSERT_RUN], run)
        return at

    def _insert(self, conn: Connection, sql: str, rows: dict[int, list[int]]) -> None:
        if rows:
            packed = [{"key": key, "titles": _pack(ids)} for key, ids in rows.items()]
            conn.exec_driver_sql(self._sql[sql], packed)

    def recommended(self, profile_id: int) -> list[int] | None:
        """The profile's ranked titles; None when the trainer has never seen it (cold start)."""
        row = self._one(_RECOMMENDED, profile_id)
        return None if row is None else _unpack(row)

    def neighbours(self, title_id: int) -> list[int]:
        row = self._one(_NEIGHBOURS, title_id)
        return [] if row is None else _unpack(row)

    def last_run(self) -> tuple[str, int, int, int, float, datetime] | None:
        rows = self._reader.rows(self._sql[_LAST_RUN], {})
        if not rows:
            return None
        model, profiles, titles, interactions, seconds, at = rows[0]
        return (
            str(model),
            int(profiles),
            int(titles),
            int(interactions),
            float(seconds),
            datetime.fromisoformat(at),
        )

    def _one(self, sql: str, key: int) -> bytes | None:
        rows = self._reader.rows(self._sql[sql], {"key": key})
        return None if not rows else bytes(rows[0][0])

    def close(self) -> None:
        self._reader.close()
        self.engine.dispose()


def open_store(settings: Settings) -> RecsStore:
    return RecsStore(settings.database_url(SERVICE))
