"""Plays per title and region per hour (trending rows and CDN pre-positioning read them).

A play is a `play_start` event; hours are UTC, from the event's own time.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from vodstack.contracts.events import AnyEvent, PlayStartEvent
from vodstack.events.consumers.sink import SqliteSink


class PopularitySink(SqliteSink):
    schema = """
    CREATE TABLE IF NOT EXISTS plays (
        title_id INTEGER NOT NULL, region TEXT NOT NULL, hour INTEGER NOT NULL,
        plays INTEGER NOT NULL, PRIMARY KEY (title_id, region, hour)
    ) WITHOUT ROWID;
    """

    def effect(self, db: sqlite3.Connection, event: AnyEvent) -> None:
        self.effects(db, [event])

    def effects(self, db: sqlite3.Connection, events: Sequence[AnyEvent]) -> None:
        plays: Counter[tuple[int, str, int]] = Counter(
            (event.title_id, event.region or "unknown", _hour(event.at))
            for event in events
            if isinstance(event, PlayStartEvent)
        )
        db.executemany(
            "INSERT INTO plays VALUES (?, ?, ?, ?) "
            "ON CONFLICT (title_id, region, hour) DO UPDATE SET plays = plays + excluded.plays",
            [(*row, count) for row, count in plays.items()],
        )

    def plays(self, since_hour: int = 0) -> list[tuple[int, str, int, int]]:
        """(title, region, hour, plays) from `since_hour` (hours since the epoch) on."""
        rows = self.query(
            "SELECT title_id, region, hour, plays FROM plays WHERE hour >= ? "
            "ORDER BY hour, title_id, region",
            (since_hour,),
        )
        return [(int(t), str(r), int(h), int(p)) for t, r, h, p in rows]


def _hour(at: datetime) -> int:
    return int(at.timestamp()) // 3600
