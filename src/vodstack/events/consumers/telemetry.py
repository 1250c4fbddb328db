"""QoE time series: counters and a startup-time histogram in short buckets, split by region,
edge, ABR algorithm and title (docs/events.md, "Telemetry").

Counters per bucket: `starts`, `heartbeats`, `bandwidth_kbps` (summed over heartbeats: divided
by `heartbeats` it is the average bitrate), `rebuffers`, `stall_ms`, `errors`. The startup
histogram counts each `play_start` under the first bound of `STARTUP_BOUNDS_MS` it fits
(`startup_le_{bound}`), so p50/p90 come from counts (services/telemetry/series.py), not samples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Float,
    Integer,
    MetaData,
    Table,
    Text,
    delete,
    text,
)

from vodstack.contracts.events import (
    AnyEvent,
    BaseEvent,
    ErrorEvent,
    HeartbeatEvent,
    PlayStartEvent,
    RebufferEndEvent,
    RebufferStartEvent,
)
from vodstack.events.consumers.database import (
    DatabaseSink,
    migrated_engine,
    positional_sql,
    sink_tables,
)

STARTUP_BOUNDS_MS = (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, float("inf"))
SPLITS = ("region", "edge", "abr", "title_id")
SERVICE = "telemetry"
MIGRATIONS = Path(__file__).resolve().parent / "migrations" / SERVICE

metadata = MetaData()
applied, replays = sink_tables(metadata)
counters = Table(
    "counters",
    metadata,
    Column("bucket", BigInteger, primary_key=True, autoincrement=False),  # epoch seconds
    Column("metric", Text, primary_key=True),
    Column("region", Text, primary_key=True),
    Column("edge", Text, primary_key=True),
    Column("abr", Text, primary_key=True),
    Column("title_id", Integer, primary_key=True, autoincrement=False),
    Column("value", Float, nullable=False),
    sqlite_with_rowid=False,
)
_KEY = ("bucket", "metric", "region", "edge", "abr", "title_id")
# One upsert per counter row of a block, as the driver's own SQL with positional parameters
# (database.positional_sql). The target is qualified: PostgreSQL finds `value` ambiguous
# otherwise.
_UPSERT = (
    "INSERT INTO counters (bucket, metric, region, edge, abr, title_id, value) "
    "VALUES (:bucket, :metric, :region, :edge, :abr, :title_id, :value) "
    "ON CONFLICT (bucket, metric, region, edge, abr, title_id) "
    "DO UPDATE SET value = counters.value + excluded.value"
)


class TelemetrySink(DatabaseSink):
    def __init__(self, url: str, bucket_s: int) -> None:
        super().__init__(migrated_engine(url, SERVICE, MIGRATIONS), applied, replays)
        self.bucket_s = bucket_s
        self._upsert = positional_sql(_UPSERT, self._dialect)

    def effects(self, conn: Connection, events: Sequence[AnyEvent]) -> None:
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
        if totals:
            conn.exec_driver_sql(self._upsert, [(*row, value) for row, value in totals.items()])

    def read(self, sql: str, args: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a read-only query on `counters` (`:name` parameters)."""
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), args or {})]

    def trim(self, older_than: float) -> int:
        """Drop buckets older than `older_than` (epoch seconds): the series' retention."""
        with self._lock, self.writing().begin():
            gone = self.writing().execute(delete(counters).where(counters.c.bucket < older_than))
            return int(gone.rowcount)


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
