"""Per-family summary lines shared by the issue-21 variant harnesses (`abr_*.py` in bench/).

Each harness plays every trace of a split with a list of variant specs (the first is the anchor
of the better/worse counts) and hands the per-trace outcomes here.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from functools import partial
from multiprocessing import Pool
from pathlib import Path

from vodstack.player.abr.adaptive import AdaptiveAbr
from vodstack.player.abr.interface import AbrAlgorithm
from vodstack.player.abr.vodstack import VodstackAbr
from vodstack.player.simulation.session import SessionResult, simulate_session
from vodstack.player.traces import NetworkTrace, load_traces
from vodstack.player.video import Video, read_video_sizes

DATA = Path(__file__).resolve().parents[1] / "../shared/data/abr"

#: (QoE per chunk, stall s, mean bitrate Mbps) of one session.
Outcome = tuple[float, float, float]
#: One trace's family and the outcome of every variant on it.
Row = tuple[str, dict[str, Outcome]]
#: A harness's variant factory: spec -> a fresh algorithm (module-level, so a pool can pickle it).
Create = Callable[[str], AbrAlgorithm]


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


def play(job: tuple[NetworkTrace, Video, list[str], Create]) -> Row:
    """Every variant on one trace (a pool worker's unit of work)."""
    trace, video, specs, create = job
    outcomes = {spec: outcome(simulate_session(trace, video, create(spec))) for spec in specs}
    return trace.family.value, outcomes


def run_splits(
    split_dir: Path, splits: Sequence[str], specs: list[str], jobs: int, create: Create
) -> None:
    """Play and report every split in turn, `jobs` processes at a time."""
    video = read_video_sizes(DATA / "video_sizes")
    for split in splits:
        started = time.perf_counter()
        traces = load_traces(split_dir / split)
        with Pool(jobs) as pool:
            rows = pool.map(play, [(t, video, specs, create) for t in traces], chunksize=2)
        report(split, rows, specs)
        print(f"{split}: {time.perf_counter() - started:.0f} s wall", flush=True)


def variant(options_class: Callable[[dict[str, str]], AbrAlgorithm], spec: str) -> AbrAlgorithm:
    """`vodstack`, `adaptive` or `adaptive:<option>=<value>,...` (the harness's own class)."""
    kind, _, option_text = spec.partition(":")
    if kind == "vodstack":
        return VodstackAbr()
    if kind == "adaptive":
        if not option_text:
            return AdaptiveAbr()
        return options_class(dict(item.split("=", 1) for item in option_text.split(",")))
    raise SystemExit(f"unknown variant {spec!r}")


def variants_main(
    doc: str,
    options_class: Callable[[dict[str, str]], AbrAlgorithm],
    *,
    anchors: list[str],
    variants: str,
    splits: str,
) -> None:
    """A harness's command line: `anchors` then `--variants` (`;`-separated) on `--splits`."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--split-dir", type=Path, required=True)
    parser.add_argument("--variants", default=variants)
    parser.add_argument("--splits", default=splits)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    specs = [*anchors, *(v for v in args.variants.split(";") if v)]
    create = partial(variant, options_class)  # a partial of module-level names: picklable
    run_splits(args.split_dir, args.splits.split(","), specs, args.jobs, create)
