"""The gateways' resilience counters during the game day: breaker transitions, fallbacks, shed.

Every gateway instance listens on the same port (SO_REUSEPORT), so one address answers for a
different process at each new connection, and a process the monkey kills takes its counters with
it. Each scrape therefore opens a fresh connection, and a counter is told apart per process by its
`_created` timestamp (prometheus_client's creation time of that label set): what a game day
counts is the sum over processes of each one's increase, a process born during the game counting
from zero.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

from vodstack.gameday.record import Recorder

COUNTERS = (
    "vodstack_circuit_transitions",
    "vodstack_upstream_fallbacks",
    "vodstack_gateway_shed",
    "vodstack_upstream_retries",
    "vodstack_upstream_hedges",
    "vodstack_upstream_rejected",
)

Labels = tuple[tuple[str, str], ...]


@dataclass
class _Series:
    first: float
    last: float


@dataclass
class GatewayCounters:
    """Increases per (counter, labels) over the game, summed over gateway processes."""

    since_epoch: float = field(default_factory=time.time)
    scrapes: int = 0
    _series: dict[tuple[str, Labels, float], _Series] = field(default_factory=dict)

    def observe(self, text: str, recorder: Recorder) -> None:
        self.scrapes += 1
        totals: dict[tuple[str, Labels], float] = {}
        created: dict[tuple[str, Labels], float] = {}
        for family in text_string_to_metric_families(text):
            # The text format has `X_created` as a family of its own (a gauge) next to `X`.
            name = family.name.removesuffix("_created")
            if name not in COUNTERS:
                continue
            for sample in family.samples:
                key = (name, tuple(sorted(sample.labels.items())))
                if sample.name.endswith("_created"):
                    created[key] = sample.value
                elif sample.name.endswith("_total"):
                    totals[key] = sample.value
        for key, value in totals.items():
            born = created.get(key, 0.0)
            series = self._series.get((*key, born))
            if series is None:
                start = 0.0 if born >= self.since_epoch else value
                series = self._series[(*key, born)] = _Series(start, start)
            if value > series.last and key[0] == "vodstack_circuit_transitions":
                labels = dict(key[1])
                recorder.event(
                    "breaker",
                    f"{labels.get('upstream', '?')} circuit -> {labels.get('state', '?')}",
                )
            series.last = max(series.last, value)

    def totals(self) -> dict[str, dict[str, float]]:
        """{counter: {"label=value,...": increase}}, only what increased."""
        out: dict[str, dict[str, float]] = {}
        for (name, labels, _), series in self._series.items():
            increase = series.last - series.first
            if increase <= 0:
                continue
            label = ",".join(f"{k}={v}" for k, v in labels) or "all"
            out.setdefault(name, {})
            out[name][label] = out[name].get(label, 0.0) + increase
        return out


async def scrape_gateways(
    url: str,
    counters: GatewayCounters,
    recorder: Recorder,
    stop: asyncio.Event,
    every_s: float = 0.5,
) -> None:
    """Scrape `url`/metrics on a new connection every `every_s` until `stop`."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=2.0, limits=limits) as client:
        while not stop.is_set():
            try:
                response = await client.get(f"{url}/metrics")
                if response.status_code == 200:
                    counters.observe(response.text, recorder)
            except httpx.HTTPError:
                pass  # a gateway being killed or replaced: the next scrape finds another
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)


__all__ = ["GatewayCounters", "scrape_gateways"]
