"""What the autoscaler reads from an instance's /metrics, and the rates two readings give.

Every service exports the same metrics (core.metrics): a latency histogram per route, the
in-flight gauge, and the process collector's CPU seconds. One scrape gives cumulative totals;
two scrapes of the same process give, over the time between them:

- concurrency: seconds of requests served per second, i.e. the mean number of requests in
  flight (Little's law). A scrape of the in-flight gauge only samples one instant, mostly 0 for
  10 ms requests, so it is kept as an input for the log, not used to decide;
- latency_s: mean time per request (sum over count of the histogram's increase);
- cpu: CPU seconds used per second, in cores.

The probes' and scrapers' own routes (/healthz, /metrics) are left out: they are not load.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

LATENCY = "vodstack_http_request_duration_seconds"
IN_FLIGHT = "vodstack_http_in_flight_requests"
CPU = "process_cpu_seconds_total"
NOT_LOAD = frozenset({"/healthz", "/metrics"})


@dataclass(frozen=True)
class Scrape:
    """Cumulative totals of one process at one instant (monotonic seconds)."""

    at: float
    busy_s: float  # sum of request durations
    requests: float
    cpu_s: float | None  # None where the process collector is unavailable
    in_flight: float  # the gauge, the scrape itself not counted


def parse(text: str, at: float) -> Scrape:
    busy = requests = in_flight = 0.0
    cpu: float | None = None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == f"{LATENCY}_sum" and sample.labels.get("route") not in NOT_LOAD:
                busy += sample.value
            elif sample.name == f"{LATENCY}_count" and sample.labels.get("route") not in NOT_LOAD:
                requests += sample.value
            elif sample.name == IN_FLIGHT:
                in_flight = max(0.0, sample.value - 1)  # the /metrics request being answered
            elif sample.name == CPU:
                cpu = sample.value
    return Scrape(at, busy, requests, cpu, in_flight)


@dataclass(frozen=True)
class Rates:
    """One instance's load between two scrapes."""

    concurrency: float
    cpu: float | None
    latency_s: float | None  # None when no request completed in between
    requests_per_s: float
    in_flight: float

    def value(self, metric: str) -> float | None:
        values = {"concurrency": self.concurrency, "cpu": self.cpu, "latency_s": self.latency_s}
        return values[metric]

    def as_dict(self) -> dict[str, float | None]:
        return {
            "concurrency": round(self.concurrency, 4),
            "cpu": None if self.cpu is None else round(self.cpu, 4),
            "latency_s": None if self.latency_s is None else round(self.latency_s, 5),
            "requests_per_s": round(self.requests_per_s, 2),
            "in_flight": self.in_flight,
        }


def rates(before: Scrape, after: Scrape) -> Rates | None:
    """None when the two readings cannot be compared (no time between them, counters reset)."""
    elapsed = after.at - before.at
    served = after.requests - before.requests
    busy = after.busy_s - before.busy_s
    if elapsed <= 0 or served < 0 or busy < 0:
        return None
    cpu = None
    if before.cpu_s is not None and after.cpu_s is not None and after.cpu_s >= before.cpu_s:
        cpu = (after.cpu_s - before.cpu_s) / elapsed
    latency = busy / served if served else None
    return Rates(busy / elapsed, cpu, latency, served / elapsed, after.in_flight)
