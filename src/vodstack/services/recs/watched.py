"""What each profile watched, as the recommender learns it: the `recs` consumer group of the
events log, one row per (profile, title) with how far it got.

Completion-weighted implicit feedback: a title's weight is the share of it watched (the furthest
position over its length; 1 once a `stop` says completed), so a film abandoned after two minutes
counts for little and one finished counts fully. The sink is the events library's idempotent
SQLite sink: a replayed event changes nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from vodstack.contracts.events import AnyEvent, BaseEvent, StopEvent
from vodstack.events.consumers.sink import SqliteSink
from vodstack.services.recs.interactions import Interactions

# Weight of a title whose length no event gave: started, share unknown.
UNKNOWN_SHARE = 0.3


class WatchedSink(SqliteSink):
    schema = """
    CREATE TABLE IF NOT EXISTS watched (
        profile_id INTEGER NOT NULL, title_id INTEGER NOT NULL,
        position_s REAL NOT NULL, duration_s REAL, completed INTEGER NOT NULL,
        region TEXT, first_at REAL NOT NULL, last_at REAL NOT NULL,
        PRIMARY KEY (profile_id, title_id)
    ) WITHOUT ROWID;
    """

    def effect(self, db: sqlite3.Connection, event: AnyEvent) -> None:
        # Experiment exposures share the log; they say nothing about what was watched.
        if not isinstance(event, BaseEvent) or event.profile_id is None:
            return
        completed = int(isinstance(event, StopEvent) and event.completed)
        at = event.at.timestamp()
        db.execute(
            "INSERT INTO watched VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (profile_id, title_id) DO UPDATE SET "
            "position_s = max(position_s, excluded.position_s), "
            "duration_s = coalesce(excluded.duration_s, duration_s), "
            "completed = max(completed, excluded.completed), "
            "region = coalesce(excluded.region, region), "
            "first_at = min(first_at, excluded.first_at), "
            "last_at = max(last_at, excluded.last_at)",
            (
                event.profile_id,
                event.title_id,
                event.position_s,
                event.duration_s,
                completed,
                event.region,
                at,
                at,
            ),
        )

    def interactions(self) -> Interactions:
        """Every (profile, title) with its completion weight and first-watch time."""
        rows = self.query(
            "SELECT profile_id, title_id, first_at, position_s, duration_s, completed FROM watched"
        )
        if not rows:
            empty = np.zeros(0, dtype=np.int64)
            return Interactions(empty, empty, np.zeros(0), np.zeros(0, dtype=np.float32))
        profiles, titles, first, position, duration, completed = zip(*rows, strict=True)
        return Interactions(
            np.asarray(profiles, dtype=np.int64),
            np.asarray(titles, dtype=np.int64),
            np.asarray(first, dtype=np.float64),
            np.asarray(
                [
                    completion(p, d, bool(c))
                    for p, d, c in zip(position, duration, completed, strict=True)
                ],
                dtype=np.float32,
            ),
        )

    def recent(self, profile_id: int, limit: int = 5) -> list[tuple[int, float]]:
        """(title, completion) of the profile's latest titles, most recent first."""
        rows = self.query(
            "SELECT title_id, position_s, duration_s, completed FROM watched "
            "WHERE profile_id = ? ORDER BY last_at DESC, title_id LIMIT ?",
            (profile_id, limit),
        )
        return [(int(t), completion(p, d, bool(c))) for t, p, d, c in rows]

    def count(self) -> int:
        return int(self.query("SELECT count(*) FROM watched")[0][0])


def completion(position_s: float, duration_s: float | None, completed: bool) -> float:
    if completed:
        return 1.0
    if not duration_s:
        return UNKNOWN_SHARE
    # A floor: starting a title is a (weak) signal of interest even if abandoned at once.
    return float(min(1.0, max(0.05, position_s / duration_s)))


def open_watched(data_dir: Path) -> WatchedSink:
    return WatchedSink(data_dir / "recs" / "watched.sqlite")
