"""Issue 21, sixth round: where `vodstack-adaptive` loses to the offline optimum, chunk by chunk.

For every trace of a split, the default and the offline optimum's schedule (replayed through the
simulator) are compared chunk by chunk over the scored chunks 1..47. The difference in QoE per
chunk is split into its three terms (bitrate, stall, switching), by phase (start-up chunks 1-3,
mid-session 4-42, the last five chunks) and by the branch that played the session (steady: mean
link volatility at most `adaptive.VOLATILE_ABOVE`; volatile: above). Every figure is a
contribution to the split's mean QoE per chunk (summed over sessions and chunks, divided by
sessions x 47), so the lines of one branch add up to its share of the gap; negative = the
default is behind the optimum.

    nice -n 10 .venv/bin/python bench/abr_loss.py --split-dir var/abr-split --splits broadband

Results: docs/abr.md ("Sixth round").
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path
from typing import ClassVar

from abr_report import DATA
from vodstack.player.abr.adaptive import VOLATILE_ABOVE, AdaptiveAbr
from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.simulation.constants import QOE_FIRST_CHUNK, QOE_LAST_CHUNK
from vodstack.player.simulation.optimum import offline_optimum
from vodstack.player.simulation.session import SessionResult, simulate_session
from vodstack.player.traces import NetworkTrace, load_traces
from vodstack.player.video import Video, read_video_sizes

#: (first chunk, last chunk) of each phase, inclusive.
PHASES = (("start-up 1-3", 1, 3), ("mid 4-42", 4, 42), ("end 43-47", 43, 47))
#: Per chunk: (index, bitrate, stall, switching) differences default - optimum, in QoE units.
Diff = tuple[int, float, float, float]
#: One trace: (name, session volatility or None, default QoE/chunk, optimum QoE/chunk, diffs).
Compared = tuple[str, float | None, float, float, list[Diff]]


class Schedule(AbrAlgorithm):
    """Plays a fixed rendition per chunk (the optimum's, to replay it through the simulator)."""

    name: ClassVar[str] = "schedule"

    def __init__(self, renditions: Sequence[int]) -> None:
        self.renditions = renditions

    def observe(self, observation: ChunkObservation) -> None:
        pass

    def decide(self, context: DecisionContext) -> int:
        return self.renditions[context.chunk_index]


def differences(played: SessionResult, best: SessionResult) -> list[Diff]:
    """Chunk by chunk, the default's QoE terms minus the optimum's (scored chunks only)."""
    out: list[Diff] = []
    for index in range(QOE_FIRST_CHUNK, QOE_LAST_CHUNK + 1):
        a, b = played.chunks[index], best.chunks[index]
        a_prev, b_prev = played.chunks[index - 1], best.chunks[index - 1]
        out.append(
            (
                index,
                a.bitrate_mbps - b.bitrate_mbps,
                -4.3 * (a.rebuffer_s - b.rebuffer_s),
                -abs(a.bitrate_mbps - a_prev.bitrate_mbps)
                + abs(b.bitrate_mbps - b_prev.bitrate_mbps),
            )
        )
    return out


def compare(job: tuple[NetworkTrace, Video]) -> Compared:
    """The default and the optimum on one trace (a pool worker's unit of work)."""
    trace, video = job
    algorithm = AdaptiveAbr()
    played = simulate_session(trace, video, algorithm)
    optimum = offline_optimum(trace, video)
    best = simulate_session(trace, video, Schedule(optimum.renditions))
    volatility = algorithm.session_volatility()
    return (
        trace.name,
        volatility,
        played.qoe_per_chunk,
        best.qoe_per_chunk,
        differences(played, best),
    )


def report(split: str, rows: Sequence[Compared]) -> None:
    """Print the gap by branch and phase, then the ten sessions furthest behind the optimum."""
    n = len(rows)
    scored = n * (QOE_LAST_CHUNK - QOE_FIRST_CHUNK + 1)
    default = sum(r[2] for r in rows) / n
    optimum = sum(r[3] for r in rows) / n
    print(f"{split}: {n} sessions, default {default:.3f}, optimum {optimum:.3f} QoE/chunk")
    for branch, volatile in (("steady", False), ("volatile", True)):
        mine = [r for r in rows if r[1] is not None and (r[1] > VOLATILE_ABOVE) == volatile]
        gap = sum(r[3] - r[2] for r in mine) / n
        print(f"  {branch:8s} {len(mine):3d} sessions, {gap:.4f} of the gap")
        for phase, first, last in PHASES:
            terms = [0.0, 0.0, 0.0]
            for row in mine:
                for index, *values in row[4]:
                    if first <= index <= last:
                        terms = [t + v for t, v in zip(terms, values, strict=True)]
            bitrate, stall, switching = (t / scored for t in terms)
            print(
                f"    {phase:13s} bitrate {bitrate:+.4f}  stall {stall:+.4f}  "
                f"switching {switching:+.4f}"
            )
    for name, volatility, qoe, best, _ in sorted(rows, key=lambda r: r[2] - r[3])[:10]:
        shown = "-" if volatility is None else f"{volatility:.3f}"
        print(f"  {name}: volatility {shown}, default {qoe:.3f}, optimum {best:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--split-dir", type=Path, required=True)
    parser.add_argument("--splits", default="broadband")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    video = read_video_sizes(DATA / "video_sizes")
    for split in args.splits.split(","):
        traces = load_traces(args.split_dir / split)
        with Pool(args.jobs) as pool:
            rows = pool.map(compare, [(t, video) for t in traces], chunksize=2)
        report(split, rows)


if __name__ == "__main__":
    main()
