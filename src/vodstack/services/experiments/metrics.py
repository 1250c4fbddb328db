"""The experiments consumer's sink: who was exposed to which cell, and what each profile did.

From the events log (consumer group `experiments`): `exposure` events give (experiment,
account, profile, cell, first time); player events add up per profile and hour: stream
starts, heartbeats (time watched), stall time, startup time. Results join the two, so a
member's metrics count only from the hour of their first exposure on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Connection, Float, Integer, MetaData, Table, Text, text

from vodstack.contracts.events import (
    AnyEvent,
    ExposureEvent,
    HeartbeatEvent,
    PlayStartEvent,
    RebufferEndEvent,
)
from vodstack.events.consumers.database import (
    DatabaseSink,
    migrated_engine,
    positional_sql,
    sink_tables,
)

GROUP = "experiments"
# The sink's database (`database_urls.experiments_activity`), apart from the definitions'
# (`database_urls.experiments`): the release before kept it in its own file, adopted as it is.
SERVICE = "experiments_activity"
MIGRATIONS = Path(__file__).resolve().parent / "activity_migrations"
_HOUR_S = 3600

metadata = MetaData()
applied, replays = sink_tables(metadata)
exposures = Table(
    "exposures",
    metadata,
    Column("experiment", Text, primary_key=True),
    Column("profile_id", Integer, primary_key=True, autoincrement=False),
    Column("account_id", Integer, nullable=False),
    Column("cell", Text, nullable=False),
    Column("first_hour", Integer, nullable=False),  # hours since the epoch
    sqlite_with_rowid=False,
)
profile_hours = Table(
    "profile_hours",
    metadata,
    Column("profile_id", Integer, primary_key=True, autoincrement=False),
    Column("hour", Integer, primary_key=True, autoincrement=False),
    Column("starts", Integer, nullable=False, server_default="0"),
    Column("heartbeats", Integer, nullable=False, server_default="0"),
    Column("stall_ms", Float, nullable=False, server_default="0"),
    Column("startup_ms", Float, nullable=False, server_default="0"),
    Column("startup_n", Integer, nullable=False, server_default="0"),
    sqlite_with_rowid=False,
)
_COUNTS = ("starts", "heartbeats", "stall_ms", "startup_ms", "startup_n")
_WHOLE = ("starts", "heartbeats", "startup_n")  # counted in whole numbers

# As the driver's own SQL with positional parameters (database.positional_sql); the targets'
# columns are qualified, which PostgreSQL needs. The first exposure wins: a member stays in the
# cell they were first shown (rows run in order, so within a block too).
_EXPOSE = (
    "INSERT INTO exposures (experiment, profile_id, account_id, cell, first_hour) "
    "VALUES (:experiment, :profile_id, :account_id, :cell, :hour) "
    "ON CONFLICT (experiment, profile_id) DO UPDATE SET "
    "first_hour = {least}(exposures.first_hour, excluded.first_hour)"
)
_LEAST = {"sqlite": "MIN", "postgresql": "LEAST"}
# A block's activity summed per (profile, hour) in Python first: one upsert per row.
_ADD = (
    "INSERT INTO profile_hours (profile_id, hour, starts, heartbeats, startup_n, stall_ms, "
    "startup_ms) VALUES (:profile_id, :hour, :starts, :heartbeats, :startup_n, :stall_ms, "
    ":startup_ms) ON CONFLICT (profile_id, hour) DO UPDATE SET "
    "starts = profile_hours.starts + excluded.starts, "
    "heartbeats = profile_hours.heartbeats + excluded.heartbeats, "
    "stall_ms = profile_hours.stall_ms + excluded.stall_ms, "
    "startup_ms = profile_hours.startup_ms + excluded.startup_ms, "
    "startup_n = profile_hours.startup_n + excluded.startup_n"
)
_MEMBERS = """
    SELECT e.account_id, min(e.cell), coalesce(sum(h.starts), 0),
           coalesce(sum(h.heartbeats), 0), coalesce(sum(h.stall_ms), 0),
           coalesce(sum(h.startup_ms), 0), coalesce(sum(h.startup_n), 0)
    FROM exposures e LEFT JOIN profile_hours h
      ON h.profile_id = e.profile_id AND h.hour >= e.first_hour AND h.hour <= :last_hour
    WHERE e.experiment = :experiment
    GROUP BY e.account_id ORDER BY e.account_id
"""


@dataclass(frozen=True)
class MemberActivity:
    """One exposed account's totals since its first exposure (over its exposed profiles)."""

    account_id: int
    cell: str
    starts: int
    heartbeats: int
    stall_ms: float
    startup_ms: float
    startup_n: int


class ExperimentSink(DatabaseSink):
    def __init__(self, url: str) -> None:
        super().__init__(migrated_engine(url, SERVICE, MIGRATIONS), applied, replays)
        self._expose = positional_sql(_EXPOSE.format(least=_LEAST[self._dialect]), self._dialect)
        self._add = positional_sql(_ADD, self._dialect)

    def effects(self, conn: Connection, events: Sequence[AnyEvent]) -> None:
        exposed: list[tuple[str, int, int, str, int]] = []
        activity: dict[tuple[int, int], dict[str, float]] = defaultdict(
            lambda: dict.fromkeys(_COUNTS, 0.0)
        )
        for event in events:
            if event.profile_id is None:
                continue
            hour = int(event.at.timestamp()) // _HOUR_S
            if isinstance(event, ExposureEvent):
                exposed.append(
                    (event.experiment, event.profile_id, event.account_id, event.cell, hour)
                )
                continue
            for name, value in _increments(event).items():
                activity[(event.profile_id, hour)][name] += value
        if exposed:
            conn.exec_driver_sql(self._expose, exposed)
        if activity:
            rows = [
                (profile, hour, *(int(s[n]) for n in _WHOLE), s["stall_ms"], s["startup_ms"])
                for (profile, hour), s in activity.items()
            ]
            conn.exec_driver_sql(self._add, rows)

    def members(self, experiment: str, until: datetime | None) -> list[MemberActivity]:
        """Every exposed account with its activity from first exposure (until `until`)."""
        last_hour = int(until.timestamp()) // _HOUR_S if until else 2**31 - 1
        with self.engine.connect() as conn:
            args = {"last_hour": last_hour, "experiment": experiment}
            rows: list[Any] = list(conn.execute(text(_MEMBERS), args).all())
        return [
            MemberActivity(int(a), str(c), int(s), int(h), float(st), float(su), int(n))
            for a, c, s, h, st, su, n in rows
        ]


def _increments(event: AnyEvent) -> dict[str, float]:
    if isinstance(event, PlayStartEvent):
        return {"starts": 1, "startup_ms": event.startup_ms, "startup_n": 1}
    if isinstance(event, HeartbeatEvent):
        return {"heartbeats": 1}
    if isinstance(event, RebufferEndEvent):
        return {"stall_ms": event.stall_ms}
    return {}
