"""What a game day runs (viewers, duration, chaos) and the SLO it is judged by."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

CHAOS_KINDS = ("monkey", "latency", "kong")
CONTROL, EXPERIMENT = "control", "experiment"

# The SLO's vocabulary: each name is a figure of the report's `slo_inputs` (summary.py).
SLO_METRICS: Mapping[str, str] = {
    "failed_starts": "stream starts that failed (start refused after retries, or no first segment)",
    "failed_sessions": "playbacks that started and then failed before their stop",
    "start_ratio": "experiment starts per viewer over control's, in the chaos window (1 = equal)",
    "rebuffer_ratio": "stalled time over stalled + played time, every session",
    "max_rebuffers": "the most rebuffers of any one session",
    "p99_ms": "p99 of every gateway API request, in ms",
    "start_p99_ms": "p99 of the playback start request, in ms",
    "error_rate": "share of gateway API requests that failed (5xx or no answer)",
}
_OPS: Mapping[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_CLAUSE = re.compile(r"^\s*([a-z0-9_]+)\s*(<=|>=|<|>)\s*([-+]?[0-9]*\.?[0-9]+)\s*$")


class PlanError(ValueError):
    """A game day that cannot run as asked; the message says what to change."""


@dataclass(frozen=True)
class Objective:
    metric: str
    op: str
    bound: float

    def met(self, value: float) -> bool:
        return _OPS[self.op](value, self.bound)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.bound:g}"


def parse_slo(text: str | None) -> list[Objective]:
    """`failed_starts<=0,start_ratio>=0.95` -> objectives; unknown names are refused."""
    if not text:
        return []
    objectives = []
    for clause in text.split(","):
        found = _CLAUSE.match(clause)
        if found is None:
            raise PlanError(
                f"bad SLO clause {clause.strip()!r}: write METRIC<=NUMBER (or >=, <, >)"
            )
        metric, op, bound = found.groups()
        if metric not in SLO_METRICS:
            raise PlanError(f"unknown SLO metric {metric!r}; known: {', '.join(SLO_METRICS)}")
        objectives.append(Objective(metric, op, float(bound)))
    return objectives


@dataclass(frozen=True)
class GamedayPlan:
    viewers: int
    duration_s: float
    chaos: tuple[str, ...]
    out_dir: Path
    slo: tuple[Objective, ...] = ()
    #: The experiment group plays from this region; Chaos Kong takes it down.
    experiment_region: str = "eu"
    control_region: str = "us"
    #: Share of the run before chaos begins, and the share after it ends (recovery).
    warmup_share: float = 0.2
    recovery_share: float = 0.2
    monkey_services: tuple[str, ...] = ()
    monkey_interval_s: float = 15.0
    latency_service: str = "catalog"
    latency_ms: int = 300
    latency_fraction: float = 0.5
    latency_error: int | None = None
    #: Seconds a viewer watches, drawn uniformly per play (the same draws for both groups).
    watch_s: tuple[float, float] = (20.0, 60.0)
    #: Pause between a stop and the next browse, as a viewer picking something else.
    think_s: tuple[float, float] = (1.0, 3.0)
    seed: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.viewers < 2:
            raise PlanError("a game day needs at least 2 viewers (one per group)")
        if self.duration_s < 10:
            raise PlanError("a game day runs at least 10 seconds (--minutes 0.17)")
        unknown = [c for c in self.chaos if c not in CHAOS_KINDS]
        if unknown:
            raise PlanError(
                f"unknown chaos {', '.join(unknown)}; choose from {', '.join(CHAOS_KINDS)}"
            )
        if self.experiment_region == self.control_region:
            raise PlanError("the experiment and control groups need different regions")

    @property
    def chaos_starts_s(self) -> float:
        return self.duration_s * self.warmup_share

    @property
    def chaos_ends_s(self) -> float:
        return self.duration_s * (1 - self.recovery_share)

    def group_of(self, viewer: int) -> str:
        """Viewers alternate: 0 control, 1 experiment, ...; pairs share their random draws."""
        return CONTROL if viewer % 2 == 0 else EXPERIMENT

    def region_of(self, group: str) -> str:
        return self.experiment_region if group == EXPERIMENT else self.control_region
