"""The game day's figures, from what was recorded: per group, per route, over time."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from vodstack.gameday.plan import CONTROL, EXPERIMENT, GamedayPlan
from vodstack.gameday.record import RequestSample, SessionSample, StartSample

BIN_S = 5.0
GROUPS = (CONTROL, EXPERIMENT)


def percentile(values: Iterable[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; 0 for no values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def starts_over_time(
    starts: list[StartSample], duration_s: float, bin_s: float = BIN_S
) -> dict[str, Any]:
    """Successful and failed stream starts per second, per group, in `bin_s` bins."""
    bins = max(1, math.ceil(duration_s / bin_s))
    series: dict[str, list[float]] = {}
    for group in GROUPS:
        for ok in (True, False):
            counts = [0] * bins
            for start in starts:
                if start.group == group and start.ok is ok:
                    counts[min(bins - 1, int(start.at // bin_s))] += 1
            series[f"{group}{'' if ok else '_failed'}"] = [c / bin_s for c in counts]
    return {"bin_s": bin_s, "t": [i * bin_s for i in range(bins)], **series}


def routes(requests: list[RequestSample]) -> dict[str, dict[str, Any]]:
    by_route: dict[str, list[RequestSample]] = defaultdict(list)
    for sample in requests:
        by_route[sample.route].append(sample)
    table = {}
    for route, samples in sorted(by_route.items()):
        latencies = [s.latency_s * 1000 for s in samples if s.status]
        table[route] = {
            "requests": len(samples),
            "failed": sum(1 for s in samples if s.status == 0 or s.status >= 500),
            "p50_ms": round(percentile(latencies, 0.5), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "stale": sum(1 for s in samples if s.stale),
            "shed": sum(1 for s in samples if s.shed),
        }
    return table


def _group(
    plan: GamedayPlan,
    group: str,
    starts: list[StartSample],
    sessions: list[SessionSample],
) -> dict[str, Any]:
    viewers = sum(1 for i in range(plan.viewers) if plan.group_of(i) == group)
    mine = [s for s in starts if s.group == group]
    window = [s for s in mine if plan.chaos_starts_s <= s.at < plan.chaos_ends_s and s.ok]
    played = [s for s in sessions if s.group == group]
    stalled = sum(s.rebuffer_s for s in played)
    playing = sum(s.played_s for s in played)
    window_s = max(1e-9, plan.chaos_ends_s - plan.chaos_starts_s)
    return {
        "viewers": viewers,
        "starts": sum(1 for s in mine if s.ok),
        "failed_starts": sum(1 for s in mine if not s.ok),
        "starts_per_s_in_chaos_window": len(window) / window_s,
        "starts_per_viewer_in_chaos_window": len(window) / max(1, viewers),
        "startup_p50_ms": round(percentile((s.startup_s * 1000 for s in mine if s.ok), 0.5), 1),
        "startup_p99_ms": round(percentile((s.startup_s * 1000 for s in mine if s.ok), 0.99), 1),
        "sessions": len(played),
        "failed_sessions": sum(1 for s in played if s.failed),
        "rebuffers": sum(s.rebuffers for s in played),
        "max_rebuffers_per_session": max((s.rebuffers for s in played), default=0),
        "rebuffer_ratio": stalled / (stalled + playing) if stalled + playing else 0.0,
        "edge_switches": sum(s.edge_switches for s in played),
        "start_regions": _count(s.region for s in mine if s.ok),
        # Each failed start with its error, to find its cause (issue 15, 9b: 0 failed starts).
        "failed_start_errors": [
            {"at_s": round(s.at, 1), "viewer": s.viewer, "error": s.error} for s in mine if not s.ok
        ],
    }


def _count(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[value or "?"] += 1
    return dict(counts)


def summarize(
    plan: GamedayPlan,
    requests: list[RequestSample],
    starts: list[StartSample],
    sessions: list[SessionSample],
    kong_at: float | None = None,
    kong_ends_at: float = math.inf,
) -> dict[str, Any]:
    groups = {g: _group(plan, g, starts, sessions) for g in GROUPS}
    control = groups[CONTROL]["starts_per_viewer_in_chaos_window"]
    experiment = groups[EXPERIMENT]["starts_per_viewer_in_chaos_window"]
    api = [r for r in requests if r.route != "edge media"]
    played = [s for s in sessions]
    stalled = sum(s.rebuffer_s for s in played)
    total = stalled + sum(s.played_s for s in played)
    start_route = [r.latency_s * 1000 for r in api if r.route.endswith("/start") and r.status]
    slo_inputs = {
        "failed_starts": float(sum(g["failed_starts"] for g in groups.values())),
        "failed_sessions": float(sum(g["failed_sessions"] for g in groups.values())),
        "start_ratio": experiment / control if control else 0.0,
        "rebuffer_ratio": stalled / total if total else 0.0,
        "max_rebuffers": float(max((s.rebuffers for s in played), default=0)),
        "p99_ms": percentile((r.latency_s * 1000 for r in api if r.status), 0.99),
        "start_p99_ms": percentile(start_route, 0.99),
        "error_rate": (
            sum(1 for r in api if r.status == 0 or r.status >= 500) / len(api) if api else 0.0
        ),
    }
    return {
        "groups": groups,
        "kong": None
        if kong_at is None
        else kong_figures(plan, kong_at, starts, sessions, kong_ends_at),
        "routes": routes(requests),
        "starts_over_time": starts_over_time(starts, plan.duration_s),
        "fallbacks_served": sum(1 for r in requests if r.stale),
        "shed_seen_by_viewers": sum(1 for r in requests if r.shed),
        "slo_inputs": slo_inputs,
    }


def kong_figures(
    plan: GamedayPlan,
    kong_at: float,
    starts: list[StartSample],
    sessions: list[SessionSample],
    ends_at: float = math.inf,
) -> dict[str, Any]:
    """Chaos Kong's two questions: did the sessions playing in the region carry on (and how many
    rebuffers each), and how soon did new starts play from the other region."""
    through = [s for s in sessions if s.group == EXPERIMENT and s.started_at < kong_at < s.ended_at]
    after = sorted(
        # Pressed while the region was down (the kill switch brings it back at `ends_at`).
        (s for s in starts if s.group == EXPERIMENT and kong_at <= s.at < ends_at),
        key=lambda s: s.at,
    )
    still_home = [s.at - kong_at for s in after if s.ok and s.region == plan.experiment_region]
    moved = [s.at - kong_at for s in after if s.ok and s.region != plan.experiment_region]
    return {
        "at_s": kong_at,
        "sessions_playing_through": len(through),
        "of_them_failed": sum(1 for s in through if s.failed),
        "max_rebuffers_of_them": max((s.rebuffers for s in through), default=0),
        "starts_after": len(after),
        "failed_starts_after": sum(1 for s in after if not s.ok),
        "first_start_elsewhere_after_s": min(moved, default=None),
        # The last start pressed after Kong that still played from the downed region (None: none).
        "last_start_in_region_after_s": max(still_home, default=None),
    }
