"""Offline replay of the whole design: nightly planned fills plus demand-fetch caching.

Each region is one cache of `capacity_bytes` (its edges hold complementary sets and
steering sends a viewer to the edge with the title, so a region's edges act as one cache;
with one "edge" per region the plan's spreading is the identity). Days run from one fill
window start (`window_start_hour`, UTC) to the next. At each window start after the first
day, the `FillPlanner` (the live planner's code) plans every region from the days already
replayed, never from what comes next: the best-ranked planned objects up to the pinned
share of the capacity are fetched within the fill cap (fill bytes, unless already cached)
and pinned; the rest of the capacity is the reactive policy's (`ByteBudget`, the edges'
code). The share is `planned_share`, or with `auto_share` the one that would have served
the most bytes yesterday (`control.tuning`). Then the day's requests are served and
recorded for the next plan.

The first night has no yesterday to backtest. With segment ids the plan then pins
`planned_share` (the position model beat demand-fetch alone on every trace measured); with
ids that name no segment (hashes, numbers, whole files: control/objects.py) the forecast is the
objects' own counts, which the reactive policy already keeps, and pins nothing until a
backtest says pinning pays (docs/benchmarks.md, "Issue 19, ninth pass").
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from vodstack.cdn.cache.budget import ByteBudget
from vodstack.cdn.cache.replay import ReplayResult, Tally, new_budget, serve
from vodstack.cdn.cache.trace import DAY_S, Trace, day_spans
from vodstack.config.settings import EvictionKind, FillPlanSettings
from vodstack.control.fills import schedule
from vodstack.control.plan_objects import PlanObjects
from vodstack.control.planner import FillPlanner
from vodstack.control.tuning import best_share_over, prefix

# An intraday window this early in the day (by requests) has too few to scale up to a day.
MIN_DAY_SHARE = 0.05

# Serves one window's requests of one region: (cache, objects, sizes, pinned, times, titles).
ServeRequests = Callable[
    [ByteBudget[int], list[int], list[int], set[int], Sequence[float], Sequence[int]], Tally
]


@dataclass
class _Region:
    budget: ByteBudget[int]
    days: dict[int, tuple[int, int]]  # day -> [start, end) in the region's requests
    pinned: set[int] = field(default_factory=set)
    tally: Tally = field(default_factory=Tally)
    fill_bytes: int = 0  # of the fill that ran before the day being served
    ranked: list[int] | None = None  # tonight's plan over the whole capacity, best first
    yesterday: list[int] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)
    ranked_pinned: list[int] = field(default_factory=list)  # pinned now, best first
    # Past days for the share's backtest: (the plan used that day, the day before, the day).
    backtests: list[tuple[list[int], list[int], list[int]]] = field(default_factory=list)


@dataclass
class PrefillResult(ReplayResult):
    days: list[Tally] = field(default_factory=list)  # all regions, per day
    shares: dict[str, list[float]] = field(default_factory=dict)  # pinned share per night
    predicted_hit_requests: float = 0.0
    oracle: bool = False  # planned from the future: a ceiling, not a policy

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "prefill": True,
            "oracle": self.oracle,
            "pinned_shares": self.shares,
            "predicted_hit_requests": round(self.predicted_hit_requests, 1),
            "days": [day.as_dict() for day in self.days],
        }


def replay_prefill(
    trace: Trace,
    kind: EvictionKind,
    capacity_bytes: int,
    settings: FillPlanSettings,
    oracle: bool = False,
    admission_slices: int = 0,
    serve_requests: ServeRequests = serve,
) -> PrefillResult:
    """Replay `trace` with nightly plans; hit ratios and fill bytes per region and day.

    `oracle` is NOT a policy: each night's plan ranks by the coming day's true requests
    (clairvoyant), everything else (capacity, share rule, fills, the reactive part) as usual.
    It measures the ceiling a forecast could reach on the trace. `admission_slices`: the
    reactive part's admission filter (`cdn.admission_slices_per_day`; 0: keep every miss).
    `serve_requests`: the replay's `serve`; an analysis may pass one that calls it request by
    request to see each outcome (bench/prefill_losses.py).
    """
    titles = trace.titles
    known = PlanObjects(trace, oracle)  # what the plan may know of objects: sizes once requested
    # The first night's share, before any backtest: pinning on faith only where it has paid.
    first = settings.planned_share if known.segmented or oracle else 0.0
    planner: FillPlanner[int] = FillPlanner(
        settings, known.infos.__getitem__, known.sizes.__getitem__, known
    )
    offset = settings.window_start_hour * 3600
    regions = {
        name: _Region(
            new_budget(capacity_bytes, kind, admission_slices), day_spans(requests, offset)
        )
        for name, requests in trace.regions.items()
    }
    all_days = [day for region in regions.values() for day in region.days]
    result = PrefillResult(kind.value, capacity_bytes, Tally(), {}, oracle=oracle)
    windows = settings.fills_per_day
    for day in range(min(all_days), max(all_days) + 1):
        today = Tally()
        counts: dict[str, Counter[int]] = {name: Counter() for name in regions}
        for window in range(windows):
            spans = {
                name: _window(trace.regions[name].times, region.days.get(day, (0, 0)),
                              day * DAY_S + offset + window * DAY_S / windows, window, windows)
                for name, region in regions.items()
            }  # fmt: skip
            if planner.forecast.days:
                plans = _forecasts(planner, regions, counts, window) if not oracle else None
                for name, region in regions.items():
                    expected: Mapping[int, float] | None
                    if oracle:  # the rest of the day, as it will come
                        start, end = spans[name][0], region.days.get(day, (0, 0))[1]
                        expected = Counter(trace.regions[name].objects[start:end])
                    else:
                        expected = plans[name] if plans else None
                    predicted = _fill(planner, name, region, capacity_bytes, known.sizes,
                                      kind, expected, window == 0, first)  # fmt: skip
                    result.predicted_hit_requests += predicted if window == 0 else 0.0
            for name, region in regions.items():
                start, end = spans[name]
                objects = trace.regions[name].objects[start:end]
                times = trace.regions[name].times[start:end]
                served = serve_requests(
                    region.budget, objects, trace.sizes, region.pinned, times, titles
                )
                served.fill_bytes, region.fill_bytes = region.fill_bytes, 0
                region.tally.add(served)
                today.add(served)
                counts[name].update(objects)
                known.observe(objects)
        for name, region in regions.items():
            objects = _day_objects(trace, name, region, day)
            if region.ranked is not None:
                region.backtests.append((region.ranked, region.yesterday, objects))
                del region.backtests[: -settings.backtest_days]
            region.yesterday, region.ranked = objects, None
        planner.record_day(counts)
        result.days.append(today)
    for name, region in regions.items():
        result.regions[name] = region.tally
        result.shares[name] = region.shares
        result.total.add(region.tally)
    return result


def _window(
    times: Sequence[float], day: tuple[int, int], begins: float, window: int, windows: int
) -> tuple[int, int]:
    """[start, end) of one fill window's requests within the day's [start, end)."""
    start, end = day
    if window:
        start = bisect.bisect_left(times, begins, start, end)
    if window < windows - 1:
        end = bisect.bisect_left(times, begins + DAY_S / windows, start, end)
    return start, end


def _forecasts(
    planner: FillPlanner[int],
    regions: Mapping[str, _Region],
    counts: Mapping[str, Counter[int]],
    window: int,
) -> dict[str, dict[int, float]] | None:
    """Per region, the forecast an intraday window plans from: the past days plus today so
    far, scaled by the share of yesterday's requests already seen in the region (the day's
    own cycle, in the region's time zone)."""
    shares = {
        name: min(max(sum(counts[name].values()) / len(region.yesterday), MIN_DAY_SHARE), 1.0)
        for name, region in regions.items()
        if region.yesterday
    }
    if not window or not shares:
        return None
    forecast = planner.forecast.with_partial_day(counts, shares)
    return {name: planner.expected(name, forecast) for name in regions}


def _day_objects(trace: Trace, name: str, region: _Region, day: int) -> list[int]:
    start, end = region.days.get(day, (0, 0))
    return trace.regions[name].objects[start:end]


def _fill(
    planner: FillPlanner[int],
    name: str,
    region: _Region,
    capacity: int,
    sizes: list[int],
    kind: EvictionKind,
    expected: Mapping[int, float] | None,
    night: bool,
    first: float,
) -> float:
    """Plan and fill one region for the coming day (the rest of it, in an intraday
    window, at the night's share); returns the hits the plan expects."""
    budget = region.budget
    holdings = {name: region.pinned | budget.sizes.keys()}
    # Ranked over the whole capacity: tonight's pinned part is a prefix of it, and
    # tomorrow's backtest replays prefixes of it against the requests that came.
    plan = planner.plan_region(name, [name], capacity, holdings, share=1.0, expected=expected)
    ranked = plan.edges[name]
    if night:
        region.ranked = ranked
        region.shares.append(_share(planner.settings, region, sizes, capacity, kind, first))
    share = region.shares[-1]
    wanted = prefix(ranked, sizes, int(capacity * share))
    fills = schedule({name: [k for k in ranked if k in wanted]}, holdings,
                     sizes.__getitem__, planner.fill_cap_bytes)  # fmt: skip
    pinned = wanted - {key for _edge, key in fills.deferred}
    region.fill_bytes += sum(order.size for order in fills.orders)
    for key in pinned:
        if key in budget.sizes:  # already cached on demand: kept, now as planned
            budget.remove(key)
    released = [key for key in region.ranked_pinned if key not in pinned]
    region.pinned = pinned
    region.ranked_pinned = [key for key in ranked if key in pinned]
    budget.capacity_bytes = capacity - sum(sizes[key] for key in pinned)
    budget.make_room(0)
    # Objects leaving the plan are on disk already: they join the demand-fetch part (least
    # expected first) and leave when its policy says so, not all at once.
    for key in reversed(released):
        budget.admit(key, sizes[key])
    return sum(plan.expected[key] for key in pinned)


def _share(
    settings: FillPlanSettings,
    region: _Region,
    sizes: list[int],
    capacity: int,
    kind: EvictionKind,
    first: float,
) -> float:
    if not settings.auto_share:
        return settings.planned_share
    if not region.backtests:
        return first
    return best_share_over(
        region.backtests, sizes, capacity, kind, margin=settings.share_margin
    )  # fmt: skip
