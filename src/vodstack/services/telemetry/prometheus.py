"""The QoE series exported to Prometheus, on the telemetry service's /metrics.

Counters are the series summed over all buckets, split by region, edge and ABR algorithm (not by
title: a label per title would explode Prometheus's series count; the service's own API splits by
title). Startup time is a Prometheus histogram built from the consumer's bucket counts, so
`histogram_quantile` gives the same p50/p90 as the dashboard. See ops/grafana/qoe.json.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from vodstack.events.consumers.telemetry import STARTUP_BOUNDS_MS, TelemetrySink

COUNTERS = {
    "starts": "Streams started (play_start events)",
    "heartbeats": "Player heartbeats",
    "bandwidth_kbps": "Bandwidth estimates summed over heartbeats (divide by heartbeats)",
    "rebuffers": "Rebuffering events",
    "stall_ms": "Time stalled, milliseconds",
    "errors": "Player errors",
}
LABELS = ["region", "edge", "abr"]
Totals = dict[tuple[str, str, str], dict[str, float]]


class QoeCollector(Collector):
    def __init__(self, sink: Callable[[], TelemetrySink | None]) -> None:
        self._sink = sink

    def collect(self) -> Iterator[Metric]:
        sink = self._sink()
        if sink is None:
            return
        totals: Totals = defaultdict(dict)
        rows = sink.read(
            "SELECT region, edge, abr, metric, SUM(value) FROM counters "
            "GROUP BY region, edge, abr, metric"
        )
        for region, edge, abr, metric, value in rows:
            totals[(str(region), str(edge), str(abr))][str(metric)] = float(value)
        for name, help_text in COUNTERS.items():
            family = CounterMetricFamily(f"vodstack_qoe_{name}", help_text, labels=LABELS)
            for labels, values in totals.items():
                family.add_metric(list(labels), values.get(name, 0.0))
            yield family
        yield _startup(totals)


def _startup(totals: Totals) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "vodstack_qoe_startup_ms", "Press play to first frame, milliseconds", labels=LABELS
    )
    for labels, values in totals.items():
        seen, buckets = 0.0, []
        for bound in STARTUP_BOUNDS_MS:
            seen += values.get(f"startup_le_{bound:g}", 0.0)
            buckets.append(("+Inf" if bound == float("inf") else str(bound), seen))
        family.add_metric(list(labels), buckets, values.get("startup_ms_sum", 0.0))
    return family
