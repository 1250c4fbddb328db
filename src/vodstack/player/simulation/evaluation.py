"""Evaluate ABR algorithms over a set of traces, the way the research community reports them.

For each trace every algorithm plays one session; the offline optimum is computed and replayed
through the same simulator. Figures are the mean over traces of per-session figures: QoE per
chunk (mean over chunks 1..47), mean bitrate, stall seconds per session, mean bitrate change per
chunk, the share of traces on which an algorithm's QoE beats RobustMPC's, and QoE as a fraction
of the optimum's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vodstack.player.abr import registry
from vodstack.player.abr.robust_mpc import RobustMpc
from vodstack.player.simulation.optimum import offline_optimum
from vodstack.player.simulation.replay import ScheduleReplay
from vodstack.player.simulation.session import SessionResult, simulate_session
from vodstack.player.traces import NetworkTrace, TraceFamily
from vodstack.player.video import Video

#: Row name of the offline optimum in reports.
OPTIMUM = "optimum"
#: The baseline every algorithm is compared with trace by trace.
BASELINE = RobustMpc.name

#: Called after each trace with (traces done, traces in total).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TraceOutcome:
    """Every algorithm's session on one trace (and the optimum's, under `OPTIMUM`)."""

    trace_name: str
    family: TraceFamily
    sessions: dict[str, SessionResult]


@dataclass(frozen=True)
class Summary:
    """One algorithm's figures over a group of traces."""

    algorithm: str
    traces: int
    qoe_per_chunk: float
    bitrate_mbps_mean: float
    rebuffer_s: float
    smoothness_mbps_mean: float
    #: Share of traces where its QoE per chunk is strictly above RobustMPC's (None without it).
    beats_robustmpc: float | None
    #: Mean QoE per chunk over the optimum's (None without the optimum).
    fraction_of_optimum: float | None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Evaluation:
    """All outcomes, with summaries per trace group."""

    algorithms: list[str]
    outcomes: list[TraceOutcome] = field(default_factory=list)

    @property
    def rows(self) -> list[str]:
        """Algorithms in report order, the optimum last when present."""
        has_optimum = bool(self.outcomes) and OPTIMUM in self.outcomes[0].sessions
        return [*self.algorithms, OPTIMUM] if has_optimum else list(self.algorithms)

    def groups(self) -> dict[str, list[TraceOutcome]]:
        """'all' plus one group per trace family present."""
        result: dict[str, list[TraceOutcome]] = {"all": list(self.outcomes)}
        for family in TraceFamily:
            members = [o for o in self.outcomes if o.family is family]
            if members:
                result[family.value] = members
        return result

    def summaries(self, outcomes: Sequence[TraceOutcome]) -> list[Summary]:
        """One summary per row over `outcomes`."""
        return [summarize(name, outcomes) for name in self.rows]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready report: summaries per group and QoE per trace."""
        return {
            "algorithms": self.algorithms,
            "groups": {
                group: {s.algorithm: s.as_dict() for s in self.summaries(members)}
                for group, members in self.groups().items()
            },
            "per_trace": [
                {
                    "trace": o.trace_name,
                    "family": o.family.value,
                    "qoe_per_chunk": {n: s.qoe_per_chunk for n, s in o.sessions.items()},
                }
                for o in self.outcomes
            ],
        }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def summarize(name: str, outcomes: Sequence[TraceOutcome]) -> Summary:
    """Figures of algorithm `name` over `outcomes`."""
    sessions = [o.sessions[name] for o in outcomes]
    qoe = _mean([s.qoe_per_chunk for s in sessions])
    beats: float | None = None
    if outcomes and BASELINE in outcomes[0].sessions:
        wins = [
            o.sessions[name].qoe_per_chunk > o.sessions[BASELINE].qoe_per_chunk for o in outcomes
        ]
        beats = _mean([1.0 if w else 0.0 for w in wins])
    fraction: float | None = None
    if outcomes and OPTIMUM in outcomes[0].sessions:
        best = _mean([o.sessions[OPTIMUM].qoe_per_chunk for o in outcomes])
        fraction = qoe / best if best > 0 else None
    return Summary(
        algorithm=name,
        traces=len(sessions),
        qoe_per_chunk=qoe,
        bitrate_mbps_mean=_mean([s.bitrate_mbps_mean for s in sessions]),
        rebuffer_s=_mean([s.rebuffer_s for s in sessions]),
        smoothness_mbps_mean=_mean([s.smoothness_mbps_mean for s in sessions]),
        beats_robustmpc=beats,
        fraction_of_optimum=fraction,
    )


def evaluate_trace(
    trace: NetworkTrace, video: Video, algorithms: Sequence[str], with_optimum: bool = True
) -> TraceOutcome:
    """Each algorithm (fresh instances), the baseline and optionally the optimum on one trace."""
    names = [*algorithms, BASELINE] if BASELINE not in algorithms else list(algorithms)
    sessions = {name: simulate_session(trace, video, registry.create(name)) for name in names}
    if with_optimum:
        best = offline_optimum(trace, video)
        sessions[OPTIMUM] = simulate_session(trace, video, ScheduleReplay(best.renditions))
    return TraceOutcome(trace_name=trace.name, family=trace.family, sessions=sessions)


def evaluate(
    traces: Sequence[NetworkTrace],
    video: Video,
    algorithms: Sequence[str],
    with_optimum: bool = True,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate `algorithms` on every trace."""
    for name in algorithms:
        registry.create(name)  # fail before the long run on an unknown name
    evaluation = Evaluation(algorithms=list(algorithms))
    for done, trace in enumerate(traces, start=1):
        evaluation.outcomes.append(evaluate_trace(trace, video, algorithms, with_optimum))
        if progress is not None:
            progress(done, len(traces))
    return evaluation
