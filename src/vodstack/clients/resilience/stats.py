"""What a client knows of each instance it calls: calls in flight and a decaying latency."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
# How fast an old latency is forgotten: a slow instance that is avoided gets tried again once its
# estimate has decayed below the others' (e^-t/tau), so it can show it recovered. Finagle's
# default; 1 s had a 200 ms-slow instance tried every ~2 s, enough to show in the home page's p99.
DECAY_TAU_S = 10.0
# Added to every estimate so that, before any sample, outstanding calls still tell instances apart.
LATENCY_FLOOR_S = 0.001


@dataclass
class InstanceStats:
    outstanding: int = 0
    latency_s: float = 0.0
    updated: float = 0.0

    def estimate(self, now: float) -> float:
        """The peak-EWMA latency, decayed by the time since the last sample."""
        return self.latency_s * math.exp(-(now - self.updated) / DECAY_TAU_S)

    def observe(self, latency_s: float, now: float) -> None:
        current = self.estimate(now)
        # Peak-sensitive: a slower sample counts at once, a faster one is blended in.
        self.latency_s = latency_s if latency_s > current else 0.7 * current + 0.3 * latency_s
        self.updated = now


class StatsTable:
    """Stats per base URL, created on first use."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._stats: dict[str, InstanceStats] = {}

    def of(self, instance: str) -> InstanceStats:
        stats = self._stats.get(instance)
        if stats is None:
            stats = self._stats[instance] = InstanceStats(updated=self.clock())
        return stats

    def cost(self, instance: str) -> float:
        """Latency x (outstanding + 1): what another call there is expected to wait."""
        stats = self.of(instance)
        return (stats.estimate(self.clock()) + LATENCY_FLOOR_S) * (stats.outstanding + 1)
