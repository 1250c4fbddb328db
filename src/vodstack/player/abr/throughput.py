"""Throughput rule as in hls.js: a dual EWMA bandwidth estimate and a safety factor.

Two exponentially weighted moving averages of per-chunk throughput, weighted by download time,
with half-lives of 3 s (fast) and 9 s (slow); the estimate is the smaller of the two, so it drops
quickly and recovers slowly. The next chunk takes the highest rendition whose bitrate fits in 95%
of the estimate (70% when that would switch up), hls.js's `abrBandWidthFactor` and
`abrBandWidthUpFactor`.
"""

from __future__ import annotations

import math
from typing import ClassVar

from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext


class Ewma:
    """hls.js's EWMA: sample weight is the download's duration, with zero-start correction."""

    def __init__(self, half_life_s: float) -> None:
        self._alpha = math.exp(math.log(0.5) / half_life_s)
        self._estimate = 0.0
        self._total_weight = 0.0

    def sample(self, weight: float, value: float) -> None:
        """Add a value observed over `weight` seconds."""
        adjusted = self._alpha**weight
        self._estimate = value * (1 - adjusted) + adjusted * self._estimate
        self._total_weight += weight

    @property
    def total_weight(self) -> float:
        return self._total_weight

    def estimate(self) -> float:
        """The average, corrected for starting at zero."""
        zero_factor = 1 - self._alpha**self._total_weight
        return self._estimate / zero_factor if zero_factor else self._estimate


class DualEwmaBandwidth:
    """min(fast EWMA, slow EWMA) of throughput in bits per second, hls.js defaults."""

    def __init__(
        self, fast_half_life_s: float = 3.0, slow_half_life_s: float = 9.0, default_bps: float = 5e5
    ) -> None:
        self._fast = Ewma(fast_half_life_s)
        self._slow = Ewma(slow_half_life_s)
        self._default_bps = default_bps

    def sample(self, duration_s: float, size_bytes: int) -> None:
        """Add one download (durations under 50 ms count as 50 ms, as hls.js does)."""
        duration = max(duration_s, 0.05)
        bps = 8.0 * size_bytes / duration
        self._fast.sample(duration, bps)
        self._slow.sample(duration, bps)

    def estimate_bps(self) -> float:
        """Current estimate, or the default before any sample."""
        if self._fast.total_weight < 0.001:
            return self._default_bps
        return min(self._fast.estimate(), self._slow.estimate())


class ThroughputRule(AbrAlgorithm):
    """hls.js-like rate-based ABR."""

    name: ClassVar[str] = "throughput"

    def __init__(self, safety: float = 0.95, up_safety: float = 0.7) -> None:
        self._bandwidth = DualEwmaBandwidth()
        self._safety = safety
        self._up_safety = up_safety

    def observe(self, observation: ChunkObservation) -> None:
        self._bandwidth.sample(observation.duration_s, observation.size_bytes)

    def decide(self, context: DecisionContext) -> int:
        estimate_kbps = self._bandwidth.estimate_bps() / 1000.0
        for rendition in reversed(range(len(context.ladder_kbps))):
            factor = self._up_safety if rendition > context.last_rendition else self._safety
            if context.ladder_kbps[rendition] <= factor * estimate_kbps:
                return rendition
        return 0
