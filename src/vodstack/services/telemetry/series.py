"""QoE figures from the telemetry counters: rates, ratios and percentiles per bucket and split.

Percentiles come from the startup histogram: the smallest bound under which the wanted share of
starts falls (an upper estimate, like Prometheus's `histogram_quantile` without interpolation).
Watched time is approximated by heartbeats x the heartbeat interval.
"""

from __future__ import annotations

from collections import defaultdict

from vodstack.contracts.telemetry import SeriesPoint, Split
from vodstack.events.consumers.telemetry import STARTUP_BOUNDS_MS, TelemetrySink

Counters = dict[str, float]


def series(sink: TelemetrySink, since: int, split: Split, heartbeat_s: float) -> list[SeriesPoint]:
    # A column name from the `Split` enum, never text from the request. PostgreSQL refuses a
    # constant in GROUP BY: the whole is grouped by bucket and metric alone.
    column, grouping = ("'all'", "") if split is Split.NONE else (split.value, f", {split.value}")
    rows = sink.read(
        f"SELECT bucket, {column}, metric, SUM(value) FROM counters WHERE bucket >= :since "
        f"GROUP BY bucket{grouping}, metric ORDER BY bucket",
        {"since": since},
    )
    grouped: dict[tuple[int, str], Counters] = defaultdict(dict)
    for bucket, value, metric, total in rows:
        grouped[(int(bucket), str(value))][str(metric)] = float(total)
    return [
        _point(bucket, value, counters, sink.bucket_s, heartbeat_s)
        for (bucket, value), counters in grouped.items()
    ]


def _point(bucket: int, value: str, c: Counters, bucket_s: int, heartbeat_s: float) -> SeriesPoint:
    heartbeats = c.get("heartbeats", 0.0)
    watched_ms = heartbeats * heartbeat_s * 1000
    return SeriesPoint(
        bucket=bucket,
        split=value,
        starts_per_s=c.get("starts", 0.0) / bucket_s,
        startup_p50_ms=quantile(c, 0.5),
        startup_p90_ms=quantile(c, 0.9),
        rebuffer_ratio=c.get("stall_ms", 0.0) / watched_ms if watched_ms else None,
        avg_bitrate_kbps=c.get("bandwidth_kbps", 0.0) / heartbeats if heartbeats else None,
        errors=int(c.get("errors", 0.0)),
    )


def quantile(counters: Counters, q: float) -> float | None:
    counts = [counters.get(f"startup_le_{bound:g}", 0.0) for bound in STARTUP_BOUNDS_MS]
    total = sum(counts)
    if not total:
        return None
    seen = 0.0
    for bound, count in zip(STARTUP_BOUNDS_MS, counts, strict=True):
        seen += count
        if seen >= q * total:
            return bound if bound != float("inf") else STARTUP_BOUNDS_MS[-2]
    return None
