"""QoE time series: counters and a startup-time histogram in short buckets, split by region,
edge, ABR algorithm and title (docs/events.md, "Telemetry").

Counters per bucket: `starts`, `heartbeats`, `bandwidth_kbps` (summed over heartbeats: divided
by `heartbeats` it is the average bitrate), `rebuffers`, `stall_ms`, `errors`. The startup
histogram counts each `play_start` under the first bound of `STARTUP_BOUNDS_MS` it fits
(`startup_le_{bound}`), so p50/p90 come from counts (services/telemetry/series.py), not samples.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from vodstack.contracts.events import (
    AnyEvent,
    BaseEvent,
    ErrorEvent,
    HeartbeatEvent,
    PlayStartEvent,
    RebufferEndEvent,
    RebufferStartEvent,
)
from vodstack.events.consumers.sink import SqliteSink

STARTUP_BOUNDS_MS = (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, float("inf"))
SPLITS = ("region", "edge", "abr", "title_id")


class TelemetrySink(SqliteSink):
    schema = """
    CREATE TABLE IF NOT EXISTS counters (
        bucket INTEGER NOT NULL, metric TEXT NOT NULL, region TEXT NOT NULL, edge TEXT NOT NULL,
        abr TEXT NOT NULL, title_id INTEGER NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (bucket, metric, region, edge, abr, title_id)
    ) WITHOUT ROWID;
    """

    def __init__(self, path: Path, bucket_s: int) -> None:
        super().__init__(path)
        self.bucket_s = bucket_s

    def effect(self, db: sqlite3.Connection, event: AnyEvent) -> None:
        self.effects(db, [event])

    def effects(self, db: sqlite3.Connection, events: Sequence[AnyEvent]) -> None:
        # Summed per counter row in Python first: a block of heartbeats from one title, region,
        # edge and ABR is two upserts, not two per event.
        totals: dict[tuple[int, str, str, str, str, int], float] = defaultdict(float)
        for event in events:
            if not isinstance(event, BaseEvent):
                continue  # an experiment exposure: no playback quality in it
            increments = _increments(event)
            if not increments:
                continue
            bucket = int(event.at.timestamp()) // self.bucket_s * self.bucket_s
            region, edge = event.region or "unknown", event.edge or "unknown"
            abr = event.abr or "unknown"
            for metric, value in increments:
                totals[(bucket, metric, region, edge, abr, event.title_id)] += value
        db.executemany(
            "INSERT INTO counters VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
            "(bucket, metric, region, edge, abr, title_id) DO UPDATE SET value = value + ?",
            [(*row, value, value) for row, value in totals.items()],
        )

    def trim(self, older_than: float) -> int:
        """Drop buckets older than `older_than` (epoch seconds): the series' retention."""
        with self._lock:
            return int(
                self._db.execute("DELETE FROM counters WHERE bucket < ?", (older_than,)).rowcount
            )


def _increments(event: AnyEvent) -> list[tuple[str, float]]:
    if isinstance(event, PlayStartEvent):
        le = next(bound for bound in STARTUP_BOUNDS_MS if event.startup_ms <= bound)
        return [("starts", 1.0), (f"startup_le_{le:g}", 1.0), ("startup_ms_sum", event.startup_ms)]
    if isinstance(event, HeartbeatEvent):
        return [("heartbeats", 1.0), ("bandwidth_kbps", event.bandwidth_kbps or 0.0)]
    if isinstance(event, RebufferStartEvent):
        return [("rebuffers", 1.0)]
    if isinstance(event, RebufferEndEvent):
        return [("stall_ms", event.stall_ms)]
    if isinstance(event, ErrorEvent):
        return [("errors", 1.0)]
    return []
