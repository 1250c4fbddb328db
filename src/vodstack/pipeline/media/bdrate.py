"""Bjontegaard delta rate: how many more (or fewer) bits one curve spends at equal quality.

Both curves are fitted as log-rate against VMAF with a piecewise cubic Hermite interpolant
(PCHIP: monotone, no overshoot, the variant JCT-VC and AOM use instead of Bjontegaard's original
cubic polynomial) and integrated over the VMAF range they share. The mean log-rate difference
is the answer: -25.0 means the test curve needs 25 % fewer bits than the anchor at the same
quality, averaged over that range.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.interpolate import PchipInterpolator

from vodstack.pipeline.media.rate_quality import RatePoint, pareto_front

# Curves overlapping by less VMAF than this have no meaningful average difference.
MIN_OVERLAP_VMAF = 0.5


@dataclass(frozen=True, slots=True)
class BdRate:
    """The result: percent rate difference (None when undefined) and the range it covers."""

    percent: float | None
    vmaf_low: float
    vmaf_high: float
    reason: str = ""


def bd_rate(anchor: Sequence[RatePoint], test: Sequence[RatePoint]) -> BdRate:
    """BD-rate of `test` against `anchor`, in percent (negative: `test` saves bits)."""
    a, b = _curve(anchor), _curve(test)
    if len(b) == 1 and len(a) >= 2:
        return _at_one_point(a, b[0])
    if len(a) < 2 or len(b) < 2:
        return BdRate(None, 0.0, 0.0, "each curve needs two points of distinct quality")
    low = max(a[0].vmaf, b[0].vmaf)
    high = min(a[-1].vmaf, b[-1].vmaf)
    if high - low < MIN_OVERLAP_VMAF:
        return BdRate(None, low, high, "the curves share no VMAF range")
    mean_a = _mean_log_rate(a, low, high)
    mean_b = _mean_log_rate(b, low, high)
    return BdRate(round((math.exp(mean_b - mean_a) - 1) * 100, 2), round(low, 2), round(high, 2))


def _at_one_point(anchor: Sequence[RatePoint], point: RatePoint) -> BdRate:
    """A one-rung test ladder: its rate against the anchor's at the same VMAF.

    A rung less than `MIN_OVERLAP_VMAF` outside the anchor's range (a measurement's noise: grain
    scored 23.22 on the rung both ladders share, and 23.25 on the anchor's) is compared at the
    anchor's nearest end, which credits the anchor with the difference, so it never flatters
    the test.
    """
    low, high = anchor[0].vmaf - MIN_OVERLAP_VMAF, anchor[-1].vmaf + MIN_OVERLAP_VMAF
    if not low <= point.vmaf <= high:
        return BdRate(None, point.vmaf, point.vmaf, "the one rung is outside the anchor's range")
    at = min(max(point.vmaf, anchor[0].vmaf), anchor[-1].vmaf)
    fit = PchipInterpolator([p.vmaf for p in anchor], [math.log(p.kbps) for p in anchor])
    percent = (point.kbps / math.exp(float(fit(at))) - 1) * 100
    return BdRate(round(percent, 2), at, at, "one rung: compared at its VMAF")


def _curve(points: Sequence[RatePoint]) -> list[RatePoint]:
    # Only the efficient points: a rung that costs more for less quality is not on the curve.
    return pareto_front(points)


def _mean_log_rate(curve: Sequence[RatePoint], low: float, high: float) -> float:
    fit = PchipInterpolator([p.vmaf for p in curve], [math.log(p.kbps) for p in curve])
    return float(fit.integrate(low, high)) / (high - low)
