"""Plays per title and region per hour (trending rows and CDN pre-positioning read them).

A play is a `play_start` event; hours are UTC, from the event's own time. The counts live in
the database `database_urls["popularity"]` names (a SQLite file under data_dir/telemetry by
default), migrated by migrations/popularity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, Table, Text, select

from vodstack.contracts.events import AnyEvent, PlayStartEvent
from vodstack.events.consumers.database import (
    DatabaseSink,
    migrated_engine,
    positional_sql,
    sink_tables,
)

SERVICE = "popularity"
MIGRATIONS = Path(__file__).resolve().parent / "migrations" / SERVICE

metadata = MetaData()
applied, replays = sink_tables(metadata)
plays_table = Table(
    "plays",
    metadata,
    Column("title_id", Integer, primary_key=True, autoincrement=False),
    Column("region", Text, primary_key=True),
    Column("hour", Integer, primary_key=True, autoincrement=False),  # hours since the epoch
    Column("plays", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# The block's sums folded in: one upsert per (title, region, hour), as the driver's own SQL with
# positional parameters (database.positional_sql). The target is qualified: PostgreSQL finds
# `plays` ambiguous otherwise.
_UPSERT = (
    "INSERT INTO plays (title_id, region, hour, plays) VALUES (:title_id, :region, :hour, :plays) "
    "ON CONFLICT (title_id, region, hour) DO UPDATE SET plays = plays.plays + excluded.plays"
)


class PopularitySink(DatabaseSink):
    def __init__(self, url: str) -> None:
        super().__init__(migrated_engine(url, SERVICE, MIGRATIONS), applied, replays)
        self._upsert = positional_sql(_UPSERT, self._dialect)

    def effects(self, conn: Connection, events: Sequence[AnyEvent]) -> None:
        counted: Counter[tuple[int, str, int]] = Counter(
            (event.title_id, event.region or "unknown", _hour(event.at))
            for event in events
            if isinstance(event, PlayStartEvent)
        )
        if counted:
            conn.exec_driver_sql(self._upsert, [(*key, n) for key, n in counted.items()])

    def plays(self, since_hour: int = 0) -> list[tuple[int, str, int, int]]:
        """(title, region, hour, plays) from `since_hour` (hours since the epoch) on."""
        table = plays_table.c
        query = (
            select(table.title_id, table.region, table.hour, table.plays)
            .where(table.hour >= since_hour)
            .order_by(table.hour, table.title_id, table.region)
        )
        with self.engine.connect() as conn:
            rows: list[Any] = list(conn.execute(query).all())
        return [(int(t), str(r), int(h), int(p)) for t, r, h, p in rows]


def _hour(at: datetime) -> int:
    return int(at.timestamp()) // 3600
