"""One history shard: a SQLite file of resume positions, applied like every consumer sink.

A position is replaced only by a later event (by the player's clock): a late heartbeat from a
retried batch never rewinds a resume point (`upsert_position`). A title is watched once a stop
says `completed` or the position passes `watched_ratio` of its length.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from vodstack.contracts.events import AnyEvent, BaseEvent, HeartbeatEvent, PlayStartEvent, StopEvent
from vodstack.events.consumers.sink import SqliteSink

_POSITION_EVENTS = (HeartbeatEvent, PlayStartEvent, StopEvent)
COLUMNS = "profile_id, title_id, position_s, duration_s, watched, updated_at"


class HistoryShard(SqliteSink):
    schema = """
    CREATE TABLE IF NOT EXISTS positions (
        profile_id INTEGER NOT NULL, title_id INTEGER NOT NULL, position_s REAL NOT NULL,
        duration_s REAL, watched INTEGER NOT NULL, updated_at REAL NOT NULL,
        PRIMARY KEY (profile_id, title_id)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS positions_title ON positions (title_id);
    """

    def __init__(self, path: Path, watched_ratio: float) -> None:
        super().__init__(path)
        self.path = path
        self._watched_ratio = watched_ratio

    def merge_rows(self, rows: list[tuple[object, ...]]) -> None:
        """Merge copied rows in one transaction (a reshard's copy)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for row in rows:
                    upsert_position(self._db, row)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def page(self, after: tuple[int, int], limit: int) -> list[tuple[object, ...]]:
        """Rows after the key `after` (profile, title), in key order (keyset pagination)."""
        rows = self.query(
            f"SELECT {COLUMNS} FROM positions WHERE (profile_id, title_id) > (?, ?) "
            "ORDER BY profile_id, title_id LIMIT ?",
            (*after, limit),
        )
        return [tuple(row) for row in rows]

    def effect(self, db: sqlite3.Connection, event: AnyEvent) -> None:
        self.effects(db, [event])

    def effects(self, db: sqlite3.Connection, events: Sequence[AnyEvent]) -> None:
        db.executemany(_UPSERT, [self._row(e) for e in events if isinstance(e, _POSITION_EVENTS)])

    def _row(self, event: BaseEvent) -> tuple[object, ...]:
        duration = event.duration_s
        watched = (isinstance(event, StopEvent) and event.completed) or (
            duration is not None and event.position_s >= self._watched_ratio * duration
        )
        return (event.profile_id, event.title_id, event.position_s, duration, int(watched),
                event.at.timestamp())  # fmt: skip


# Merge a position row into the stored one: the later (`updated_at`, then the larger position on
# a tie) wins the position, the watched flag and the known length only grow.
#
# The merge is commutative, associative and idempotent, so the same rows give the same result
# in any order and any number of times: replays change nothing, and a reshard's copy and its
# dual writes can interleave freely (services/history/reshard.py).
_UPSERT = (
    f"INSERT INTO positions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (profile_id, title_id) DO UPDATE SET position_s = CASE "
    "WHEN (excluded.updated_at, excluded.position_s) > (updated_at, position_s) "
    "THEN excluded.position_s ELSE position_s END, "
    "duration_s = COALESCE(MAX(excluded.duration_s, duration_s), excluded.duration_s, "
    "duration_s), watched = MAX(watched, excluded.watched), "
    "updated_at = MAX(updated_at, excluded.updated_at)"
)


def upsert_position(db: sqlite3.Connection, row: tuple[object, ...]) -> None:
    """Merge a position row into the stored one (`_UPSERT`)."""
    db.execute(_UPSERT, row)
