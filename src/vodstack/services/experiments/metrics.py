"""The experiments consumer's sink: who was exposed to which cell, and what each profile did.

From the events log (consumer group `experiments`): `exposure` events give (experiment,
account, profile, cell, first time); player events add up per profile and hour: stream
starts, heartbeats (time watched), stall time, startup time. Results join the two, so a
member's metrics count only from the hour of their first exposure on.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from vodstack.contracts.events import (
    AnyEvent,
    ExposureEvent,
    HeartbeatEvent,
    PlayStartEvent,
    RebufferEndEvent,
)
from vodstack.events.consumers.sink import SqliteSink

GROUP = "experiments"
_HOUR_S = 3600


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


class ExperimentSink(SqliteSink):
    schema = """
    CREATE TABLE IF NOT EXISTS exposures (
        experiment TEXT NOT NULL, profile_id INTEGER NOT NULL, account_id INTEGER NOT NULL,
        cell TEXT NOT NULL, first_hour INTEGER NOT NULL,
        PRIMARY KEY (experiment, profile_id)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS profile_hours (
        profile_id INTEGER NOT NULL, hour INTEGER NOT NULL, starts INTEGER NOT NULL DEFAULT 0,
        heartbeats INTEGER NOT NULL DEFAULT 0, stall_ms REAL NOT NULL DEFAULT 0,
        startup_ms REAL NOT NULL DEFAULT 0, startup_n INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (profile_id, hour)
    ) WITHOUT ROWID;
    """

    def effect(self, db: sqlite3.Connection, event: AnyEvent) -> None:
        if event.profile_id is None:
            return
        hour = int(event.at.timestamp()) // _HOUR_S
        if isinstance(event, ExposureEvent):
            # The first exposure wins: a member stays in the cell they were first shown.
            db.execute(
                "INSERT INTO exposures VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                "first_hour = min(first_hour, excluded.first_hour)",
                (event.experiment, event.profile_id, event.account_id, event.cell, hour),
            )
            return
        increments = _increments(event)
        if increments:
            columns = ", ".join(f"{name} = {name} + ?" for name in increments)
            db.execute(
                "INSERT INTO profile_hours (profile_id, hour) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (event.profile_id, hour),
            )
            db.execute(
                f"UPDATE profile_hours SET {columns} WHERE profile_id = ? AND hour = ?",  # noqa: S608 (column names are ours)
                (*increments.values(), event.profile_id, hour),
            )

    def members(self, experiment: str, until: datetime | None) -> list[MemberActivity]:
        """Every exposed account with its activity from first exposure (until `until`)."""
        last_hour = int(until.timestamp()) // _HOUR_S if until else 2**40
        rows = self.query(
            """
            SELECT e.account_id, min(e.cell), coalesce(sum(h.starts), 0),
                   coalesce(sum(h.heartbeats), 0), coalesce(sum(h.stall_ms), 0),
                   coalesce(sum(h.startup_ms), 0), coalesce(sum(h.startup_n), 0)
            FROM exposures e LEFT JOIN profile_hours h
              ON h.profile_id = e.profile_id AND h.hour >= e.first_hour AND h.hour <= ?
            WHERE e.experiment = ?
            GROUP BY e.account_id ORDER BY e.account_id
            """,
            (last_hour, experiment),
        )
        return [MemberActivity(*row) for row in rows]


def _increments(event: AnyEvent) -> dict[str, float]:
    if isinstance(event, PlayStartEvent):
        return {"starts": 1, "startup_ms": event.startup_ms, "startup_n": 1}
    if isinstance(event, HeartbeatEvent):
        return {"heartbeats": 1}
    if isinstance(event, RebufferEndEvent):
        return {"stall_ms": event.stall_ms}
    return {}
