"""The autoscaling rule: Kubernetes' Horizontal Pod Autoscaler arithmetic, pure.

For each metric with a target, `desired = ceil(current x observed / target)`, where `observed`
is the per-instance average; within `tolerance` of the target nothing changes. Instances with
no reading yet (just started) count as idle when the rule would scale up and as exactly on
target when it would scale down, so a starting instance neither triggers a further scale-up
nor hides a real one (HPA's "missing metrics" handling). Several metrics: the largest count
wins. Then stabilization (HPA's `behavior`): a scale-up takes the lowest recommendation of the
last `up_window_s`, a scale-down the highest of the last `down_window_s`, so a short burst adds
capacity after the short window and a lull removes it only after the long one. Last, the
count is clamped to the service's [min, max].

No I/O and no clock of its own: the caller passes `now`, the tests a fake one.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MetricRatio:
    """One metric's verdict: observed per-instance average against its target."""

    metric: str
    observed: float
    target: float
    ratio: float
    desired: int  # what this metric alone asks for (before stabilization and bounds)


def desired_for(
    readings: list[float | None],
    target: float,
    tolerance: float,
    metric: str = "",
) -> MetricRatio | None:
    """What one metric asks for, given one reading per current instance (None: no reading yet).

    None when no instance has a reading: nothing to decide on.
    """
    current = len(readings)
    known = [r for r in readings if r is not None]
    if not known:
        return None
    observed = sum(known) / len(known)
    ratio = observed / target
    missing = len(readings) - len(known)
    if missing and not _within(ratio, tolerance):
        # Up: the missing ones count as idle; down: as on target. The direction must survive.
        fill = 0.0 if ratio > 1 else target
        adjusted = (sum(known) + fill * missing) / len(readings) / target
        if (ratio > 1) != (adjusted > 1) or _within(adjusted, tolerance):
            return MetricRatio(metric, observed, target, adjusted, current)
        ratio = adjusted
    if _within(ratio, tolerance):
        return MetricRatio(metric, observed, target, ratio, current)
    # A hair under an integer after floating point (3.0000000001) must not round up.
    desired = max(1, math.ceil(round(ratio * current, 9)))
    return MetricRatio(metric, observed, target, ratio, desired)


def _within(ratio: float, tolerance: float) -> bool:
    # 2.2 / 2.0 is 1.1000000000000001: a reading exactly at the tolerance is within it.
    return abs(ratio - 1) <= tolerance + 1e-9


@dataclass
class Recommendation:
    """The outcome of one round for one service, with everything that led to it."""

    current: int
    recommended: int  # the metrics' count, bounded, before stabilization
    desired: int  # what to run now
    reason: str
    metrics: list[MetricRatio] = field(default_factory=list)

    @property
    def action(self) -> str:
        if self.desired > self.current:
            return "scale_up"
        if self.desired < self.current:
            return "scale_down"
        return "hold"


@dataclass
class Stabilizer:
    """One service's recent recommendations and the windows that smooth them."""

    up_window_s: float
    down_window_s: float
    _history: deque[tuple[float, int]] = field(default_factory=deque)

    def stabilize(self, now: float, current: int, recommended: int) -> int:
        if not self._history:
            # What ran before the first reading counts as recommended until then: without it, a
            # freshly started autoscaler would act on a single burst.
            self._history.append((now, current))
        self._history.append((now, recommended))
        horizon = now - max(self.up_window_s, self.down_window_s)
        while self._history and self._history[0][0] < horizon:
            self._history.popleft()
        up = min(r for t, r in self._history if t >= now - self.up_window_s)
        down = max(r for t, r in self._history if t >= now - self.down_window_s)
        # Kubernetes' order: at least the up window's floor, at most the down window's ceiling.
        return min(max(current, up), down)


@dataclass(frozen=True)
class Bounds:
    min: int
    max: int

    def clamp(self, count: int) -> int:
        return min(max(count, self.min), self.max)


def recommend(
    *,
    now: float,
    current: int,
    readings: Mapping[str, list[float | None]],
    targets: Mapping[str, float],
    tolerance: float,
    bounds: Bounds,
    stabilizer: Stabilizer,
) -> Recommendation:
    """One round for one service: `readings[metric]` holds one entry per current instance."""
    ratios = [
        verdict
        for metric, target in targets.items()
        if (verdict := desired_for(readings.get(metric, []), target, tolerance, metric)) is not None
    ]
    if ratios:
        raw = max(verdict.desired for verdict in ratios)
        why = max(ratios, key=lambda v: v.desired)
        reason = (
            f"{why.metric} {why.observed:.3g} per instance against a target of {why.target:.3g}"
        )
    else:
        raw, reason = current, "no readings yet"
    recommended = bounds.clamp(raw)
    desired = bounds.clamp(stabilizer.stabilize(now, current, recommended))
    if bounds.clamp(current) != current:
        reason = f"{current} instance(s) is outside min {bounds.min} / max {bounds.max}"
    elif desired == current and recommended > current:
        reason += f"; held by the {stabilizer.up_window_s:g} s scale-up window"
    elif desired == current and recommended < current:
        reason += f"; held by the {stabilizer.down_window_s:g} s scale-down window"
    elif ratios and all(_within(v.ratio, tolerance) for v in ratios):
        reason += f" (within the {tolerance:.0%} tolerance)"
    elif raw != recommended:
        reason += f" (asks for {raw}, bounded to {recommended})"
    return Recommendation(current, recommended, desired, reason, ratios)
