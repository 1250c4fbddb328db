"""Per-family summary lines shared by the issue-21 variant harnesses (`abr_*.py` in bench/).

Each harness plays every trace of a split with a list of variant specs (the first is the anchor
of the better/worse counts) and hands the per-trace outcomes here.
"""

from __future__ import annotations

from collections.abc import Sequence

from vodstack.player.simulation.session import SessionResult

#: (QoE per chunk, stall s, mean bitrate Mbps) of one session.
Outcome = tuple[float, float, float]
#: One trace's family and the outcome of every variant on it.
Row = tuple[str, dict[str, Outcome]]


def outcome(session: SessionResult) -> Outcome:
    """The figures a harness reports for one session."""
    return session.qoe_per_chunk, session.rebuffer_s, session.bitrate_mbps_mean


def report(split: str, rows: Sequence[Row], specs: Sequence[str]) -> None:
    """Print one line per (family, variant): means over the family's traces, and how many traces
    the variant plays better / worse than `specs[0]`."""
    width = max(len(spec) for spec in specs)
    for family in sorted({family for family, _ in rows}):
        sessions = [outcomes for f, outcomes in rows if f == family]
        n = len(sessions)
        for spec in specs:
            qoe = sum(s[spec][0] for s in sessions) / n
            stall = sum(s[spec][1] for s in sessions) / n
            bitrate = sum(s[spec][2] for s in sessions) / n
            better = sum(s[spec][0] > s[specs[0]][0] for s in sessions)
            worse = sum(s[spec][0] < s[specs[0]][0] for s in sessions)
            print(
                f"{split:9s} {family:6s} n={n:3d} {spec:{width}s} QoE/chunk {qoe:7.3f} "
                f"stall {stall:7.3f} s  {bitrate:.3f} Mbps  vs {specs[0]} +{better}/-{worse}",
                flush=True,
            )
