"""One history shard: a SQLite file of resume positions, applied like every consumer sink.

A position is replaced only by a later event (by the player's clock): a late heartbeat from a
retried batch never rewinds a resume point. A title is watched once a stop says `completed` or
the position passes `watched_ratio` of its length.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from vodstack.contracts.events import AnyEvent, HeartbeatEvent, PlayStartEvent, StopEvent
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

    def effect(self, db: sqlite3.Connection, event: AnyEvent) -> None:
        if not isinstance(event, _POSITION_EVENTS):
            return
        duration = event.duration_s
        watched = (isinstance(event, StopEvent) and event.completed) or (
            duration is not None and event.position_s >= self._watched_ratio * duration
        )
        upsert_position(
            db,
            (event.profile_id, event.title_id, event.position_s, duration, int(watched),
             event.at.timestamp()),
        )  # fmt: skip


def upsert_position(db: sqlite3.Connection, row: tuple[object, ...]) -> None:
    """Insert or replace a position row, unless the stored one is newer. A watched flag stays."""
    db.execute(
        f"INSERT INTO positions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (profile_id, title_id) DO UPDATE SET position_s = excluded.position_s, "
        "duration_s = COALESCE(excluded.duration_s, duration_s), "
        "watched = MAX(watched, excluded.watched), updated_at = excluded.updated_at "
        "WHERE excluded.updated_at >= positions.updated_at",
        row,
    )
