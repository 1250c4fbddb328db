"""Rate-quality curves: points, their convex hull, and reading a curve at a rate or a quality.

A point is one encode of a sample: its bit rate, its VMAF (read at the display size) and the
picture height it was encoded at. Over every height, the encodes worth making are those on the
upper convex hull of VMAF against bit rate: no other encode, nor a mix of two, gives more quality
for the bits (Netflix's per-title encoding, 2015). Between hull vertices a curve is read
linearly in log-rate, the scale on which rate-quality curves are closest to straight.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RatePoint:
    """One encode: bit rate (kbit/s), VMAF at the display size, encoded height, its setting."""

    kbps: float
    vmaf: float
    height: int = 0
    setting: str = ""  # e.g. "crf 30" or a rung name, for people


def pareto_front(points: Iterable[RatePoint]) -> list[RatePoint]:
    """The points no cheaper point matches in quality, by rising rate (and so rising VMAF)."""
    front: list[RatePoint] = []
    for point in sorted(points, key=lambda p: (p.kbps, -p.vmaf)):
        if not front or point.vmaf > front[-1].vmaf:
            front.append(point)
    return front


def convex_hull(points: Iterable[RatePoint]) -> list[RatePoint]:
    """The upper convex hull of VMAF against rate, by rising rate (monotone chain)."""
    hull: list[RatePoint] = []
    for point in pareto_front(points):
        while len(hull) >= 2 and _turns_up(hull[-2], hull[-1], point):
            hull.pop()
        hull.append(point)
    return hull


def _turns_up(o: RatePoint, a: RatePoint, b: RatePoint) -> bool:
    """True when `a` lies on or under the chord from `o` to `b` (so not on the upper hull)."""
    return (a.kbps - o.kbps) * (b.vmaf - o.vmaf) - (a.vmaf - o.vmaf) * (b.kbps - o.kbps) >= 0


def vmaf_at(curve: Sequence[RatePoint], kbps: float) -> float:
    """VMAF of a curve (sorted by rate, rising) at `kbps`, log-linear; clamped at the ends."""
    if kbps <= curve[0].kbps:
        return curve[0].vmaf
    for low, high in itertools.pairwise(curve):
        if kbps <= high.kbps:
            share = math.log(kbps / low.kbps) / math.log(high.kbps / low.kbps)
            return low.vmaf + share * (high.vmaf - low.vmaf)
    return curve[-1].vmaf


def rate_for(curve: Sequence[RatePoint], vmaf: float) -> float:
    """The rate at which a rising curve reaches `vmaf` (log-linear); clamped at the ends."""
    if vmaf <= curve[0].vmaf:
        return curve[0].kbps
    for low, high in itertools.pairwise(curve):
        if vmaf <= high.vmaf:
            share = (vmaf - low.vmaf) / (high.vmaf - low.vmaf)
            return float(low.kbps * (high.kbps / low.kbps) ** share)
    return curve[-1].kbps


def best_height(points: Sequence[RatePoint], kbps: float) -> int:
    """The height whose own curve gives the most VMAF at `kbps`: where the hull says to switch.

    Only heights whose sampled rates reach down to `kbps` compete (a curve is not extrapolated
    below its cheapest encode); if none does, the height of the cheapest point.
    """
    best: tuple[float, int] | None = None
    for height in sorted({p.height for p in points}):
        curve = pareto_front(p for p in points if p.height == height)
        if curve[0].kbps > kbps * 1.0001:
            continue
        score = vmaf_at(curve, kbps)
        if best is None or score > best[0]:
            best = (score, height)
    if best is None:
        return min(points, key=lambda p: p.kbps).height
    return best[1]
