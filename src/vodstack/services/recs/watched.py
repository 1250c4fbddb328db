"""What each profile watched, as the recommender learns it: the `recs` consumer group of the
events log, one row per (profile, title) with how far it got.

Completion-weighted implicit feedback: a title's weight is the share of it watched (the furthest
position over its length; 1 once a `stop` says completed), so a film abandoned after two minutes
counts for little and one finished counts fully. The sink is the events library's idempotent
`DatabaseSink` (a replayed event changes nothing) on `database_urls.recs_watched`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from vodstack.config.settings import Settings
from vodstack.contracts.events import AnyEvent, BaseEvent, StopEvent
from vodstack.events.consumers.database import (
    DatabaseSink,
    Reader,
    driver_sql,
    migrated_engine,
)
from vodstack.services.recs.interactions import Interactions
from vodstack.services.recs.tables import applied, replays, watched

SERVICE = "recs_watched"
MIGRATIONS = Path(__file__).resolve().parent / "migrations" / "watched"

# Weight of a title whose length no event gave: started, share unknown.
UNKNOWN_SHARE = 0.3

# One row per event, in order (a block may touch a (profile, title) several times: executemany
# runs them one after another). Plain SQL both engines share but for SQLite's scalar MAX/MIN
# being PostgreSQL's GREATEST/LEAST (no NULLs reach them: those columns are NOT NULL). The
# target's columns are qualified: PostgreSQL finds them ambiguous otherwise.
_UPSERT = (
    "INSERT INTO watched (profile_id, title_id, position_s, duration_s, completed, region, "
    "first_at, last_at) VALUES (:profile_id, :title_id, :position_s, :duration_s, :completed, "
    ":region, :at, :at) ON CONFLICT (profile_id, title_id) DO UPDATE SET "
    "position_s = {greatest}(watched.position_s, excluded.position_s), "
    "duration_s = coalesce(excluded.duration_s, watched.duration_s), "
    "completed = {greatest}(watched.completed, excluded.completed), "
    "region = coalesce(excluded.region, watched.region), "
    "first_at = {least}(watched.first_at, excluded.first_at), "
    "last_at = {greatest}(watched.last_at, excluded.last_at)"
)
_SCALAR = {"sqlite": ("MAX", "MIN"), "postgresql": ("GREATEST", "LEAST")}
_RECENT = (
    "SELECT title_id, position_s, duration_s, completed FROM watched "
    "WHERE profile_id = :profile ORDER BY last_at DESC, title_id LIMIT :limit"
)


class WatchedSink(DatabaseSink):
    def __init__(self, url: str) -> None:
        super().__init__(migrated_engine(url, SERVICE, MIGRATIONS), applied, replays)
        greatest, least = _SCALAR[self._dialect]
        upsert = _UPSERT.format(greatest=greatest, least=least)
        self._upsert = driver_sql(upsert, self._dialect)
        self._recent = driver_sql(_RECENT, self._dialect)
        self._reader = Reader(self.engine)
        # Told the profiles of every applied block, once its transaction is over (the kept
        # home rows of those profiles are dropped: services/recs/freshness.py).
        self.on_applied: Callable[[set[int]], None] | None = None

    def apply(self, events: Sequence[AnyEvent]) -> int:
        try:
            return super().apply(events)
        finally:
            if self.on_applied is not None:
                self.on_applied({e.profile_id for e in events if e.profile_id is not None})

    def effects(self, conn: Connection, events: Sequence[AnyEvent]) -> None:
        # Experiment exposures share the log; they say nothing about what was watched.
        rows = [
            {
                "profile_id": event.profile_id,
                "title_id": event.title_id,
                "position_s": event.position_s,
                "duration_s": event.duration_s,
                "completed": int(isinstance(event, StopEvent) and event.completed),
                "region": event.region,
                "at": event.at.timestamp(),
            }
            for event in events
            if isinstance(event, BaseEvent) and event.profile_id is not None
        ]
        if rows:
            conn.exec_driver_sql(self._upsert, rows)

    def interactions(self) -> Interactions:
        """Every (profile, title) with its completion weight and first-watch time."""
        c = watched.c
        query = select(
            c.profile_id, c.title_id, c.first_at, c.position_s, c.duration_s, c.completed
        )
        with self.engine.connect() as conn:
            rows: list[Any] = list(conn.execute(query).all())
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
        rows = self._reader.rows(self._recent, {"profile": profile_id, "limit": limit})
        return [(int(t), completion(p, d, bool(c))) for t, p, d, c in rows]

    def close(self) -> None:
        self._reader.close()
        super().close()

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(watched)).scalar_one())


def completion(position_s: float, duration_s: float | None, completed: bool) -> float:
    if completed:
        return 1.0
    if not duration_s:
        return UNKNOWN_SHARE
    # A floor: starting a title is a (weak) signal of interest even if abandoned at once.
    return float(min(1.0, max(0.05, position_s / duration_s)))


def open_watched(settings: Settings) -> WatchedSink:
    return WatchedSink(settings.database_url(SERVICE))
