"""Results of an experiment from its members' activity: per cell, per member metrics with
95% confidence intervals, each cell against the control (the first cell) by Welch's t-test,
and the sample-ratio check of exposed members against the configured shares.

Per member (exposed account): stream starts, hours viewed (heartbeats x their interval),
rebuffer ratio (stall time over watch plus stall time; members who watched), and mean startup
time (members who started a stream). The unit of analysis is the unit of allocation, so
members are independent samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from vodstack.contracts.experiments import (
    CellResult,
    Comparison,
    Estimate,
    Experiment,
    MetricResult,
    Results,
    SampleRatio,
)
from vodstack.services.experiments import statistics
from vodstack.services.experiments.metrics import MemberActivity

SRM_ALPHA = 0.001  # the usual threshold: a mismatch this unlikely means a broken pipeline

Metric = Callable[[MemberActivity, float], float | None]


def _starts(member: MemberActivity, _heartbeat_s: float) -> float | None:
    return float(member.starts)


def _hours(member: MemberActivity, heartbeat_s: float) -> float | None:
    return member.heartbeats * heartbeat_s / 3600


def _rebuffer_ratio(member: MemberActivity, heartbeat_s: float) -> float | None:
    watched_ms = member.heartbeats * heartbeat_s * 1000
    total = watched_ms + member.stall_ms
    return member.stall_ms / total if total > 0 else None


def _startup(member: MemberActivity, _heartbeat_s: float) -> float | None:
    return member.startup_ms / member.startup_n if member.startup_n else None


METRICS: dict[str, Metric] = {
    "stream_starts_per_member": _starts,
    "hours_viewed_per_member": _hours,
    "rebuffer_ratio": _rebuffer_ratio,
    "startup_time_ms": _startup,
}


def compute(
    experiment: Experiment, members: Sequence[MemberActivity], heartbeat_s: float, now: datetime
) -> Results:
    by_cell = {cell.name: [m for m in members if m.cell == cell.name] for cell in experiment.cells}
    control = experiment.cells[0].name
    cells = [
        CellResult(
            cell=cell.name,
            share=cell.share,
            members=len(by_cell[cell.name]),
            metrics=[
                _metric(
                    name,
                    metric,
                    by_cell[cell.name],
                    by_cell[control],
                    heartbeat_s,
                    cell.name == control,
                )
                for name, metric in METRICS.items()
            ],
        )
        for cell in experiment.cells
    ]
    chi, p = statistics.sample_ratio(
        [len(by_cell[cell.name]) for cell in experiment.cells],
        [cell.share for cell in experiment.cells],
    )
    ratio = SampleRatio(chi_square=chi, p_value=p, mismatch=p < SRM_ALPHA)
    return Results(experiment=experiment, cells=cells, sample_ratio=ratio, computed_at=now)


def _metric(
    name: str,
    metric: Metric,
    members: Sequence[MemberActivity],
    control: Sequence[MemberActivity],
    heartbeat_s: float,
    is_control: bool,
) -> MetricResult:
    values = _values(metric, members, heartbeat_s)
    interval = statistics.mean_interval(values)
    estimate = Estimate(mean=interval[0], low=interval[1], high=interval[2]) if interval else None
    comparison = None
    if not is_control:
        test = statistics.welch(_values(metric, control, heartbeat_s), values)
        if test is not None:
            comparison = Comparison(
                difference=test.difference, low=test.low, high=test.high, p_value=test.p_value
            )
    return MetricResult(
        metric=name, members=len(values), estimate=estimate, versus_control=comparison
    )


def _values(metric: Metric, members: Sequence[MemberActivity], heartbeat_s: float) -> list[float]:
    return [v for v in (metric(m, heartbeat_s) for m in members) if v is not None]
