"""Issue 19's goal figures in one command: pre-positioning against the reactive default.

    .venv/bin/python bench/prefill_goal.py [--trace T.csv.gz ...] [--capacity 5%,10%]
                                           [--variant NAME=key:value,key:value ...]

Without `--trace` it generates the issue-shaped trace (LRU about 0.12 and S3-FIFO about 0.21 at
5 %, the issue's own figures; parameters in ISSUE_SHAPE) and a held-out seed of it under
/tmp/vodstack-prefill-goal/ (`--shape stable`: STABLE_SHAPE, more viewings per title and a
stable popularity, and its held-out seed; `--shape returns`: RETURNS_SHAPE, the same with
viewers resuming titles on later days, and its held-out seed). For every trace and capacity it
prints the byte hit ratio of LRU, S3-FIFO alone, with `--admission N` (default: the edges',
off) also S3-FIFO with the admission filter of N slices a day (`s3fifo+adm`), and `--prefill`
(with the same admission) with the default fill plan, the intraday plan (4 fill windows a day, the
whole cache planned: `INTRADAY`), plus each `--variant` (overrides of `cdn.fill_plan`, e.g.
`slow=half_life_days:2`), the fill bytes, the ratio prefill / S3-FIFO alone, the origin bytes
(misses plus fills), and whether the goal (>= 0.30 at 5 %, >= 0.40 at 10 %) is met, with the
load average (replays are pure Python: their ratios do not depend on load, times do).
`--oracle` adds each plan made clairvoyant (ranked by the next day's true requests): the
ceiling a forecast could reach on the trace, NOT a policy.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

from vodstack.cdn.cache.replay import parse_capacity, replay
from vodstack.cdn.cache.trace import read_trace, write_lines
from vodstack.cdn.workload import (
    ISSUE_SHAPE,
    RETURNS_SHAPE,
    STABLE_SHAPE,
    WorkloadSpec,
    generate,
)
from vodstack.config.settings import CdnSettings, EvictionKind, FillPlanSettings
from vodstack.control.prefill import replay_prefill

SHAPES = {"issue": ISSUE_SHAPE, "stable": STABLE_SHAPE, "returns": RETURNS_SHAPE}
GOALS = {"5%": 0.30, "10%": 0.40}
WORK = Path(tempfile.gettempdir()) / "vodstack-prefill-goal"
# Not the default (fills at peak hours, 4-10x the fill bytes), measured beside it: four windows
# a day, the later ones re-planning from the day so far, the whole cache planned.
INTRADAY = ("intraday", FillPlanSettings(fills_per_day=4, auto_share=False, planned_share=1.0))


def _generated(shape: str) -> list[Path]:
    WORK.mkdir(parents=True, exist_ok=True)
    spec: WorkloadSpec = SHAPES[shape]
    paths = []
    for name, seed in ((shape, spec.seed), (f"{shape}-heldout", spec.seed + 1)):
        path = WORK / f"{name}.csv.gz"
        if not path.exists():
            write_lines(path, generate(dataclasses.replace(spec, seed=seed)))
        paths.append(path)
    return paths


def _variant(text: str) -> tuple[str, FillPlanSettings]:
    name, _eq, body = text.partition("=")
    values: dict[str, object] = {}
    for pair in filter(None, body.split(",")):
        key, _colon, value = pair.partition(":")
        values[key] = value
    return name, FillPlanSettings.model_validate(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trace", action="append", type=Path)
    parser.add_argument("--capacity", default="5%,10%")
    parser.add_argument(
        "--shape", choices=sorted(SHAPES), default="issue", help="Traces made without --trace."
    )
    parser.add_argument("--variant", action="append", default=[])
    parser.add_argument("--no-default", action="store_true", help="Only the --variant plans.")
    parser.add_argument("--no-reactive", action="store_true", help="Skip LRU and S3-FIFO.")
    parser.add_argument(
        "--admission",
        type=int,
        default=CdnSettings().admission_slices_per_day,
        help="The admission filter's slices a day for the `s3fifo+adm` row and every plan's "
        "reactive part (default: the edges'; 0: none)",
    )
    parser.add_argument(
        "--oracle",
        action="store_true",
        help="Also each plan made clairvoyant (the next day's true requests): the ceiling, "
        "NOT a policy.",
    )
    args = parser.parse_args()
    variants = [] if args.no_default else [("prefill", FillPlanSettings()), INTRADAY]
    variants += [_variant(text) for text in args.variant]
    runs = [(name, plan, False) for name, plan in variants]
    if args.oracle:
        runs += [(f"ORACLE:{name}", plan, True) for name, plan in variants]
    for path in args.trace or _generated(args.shape):
        trace = read_trace(path)
        print(f"# {path} requests {trace.requests:,} unique bytes {trace.unique_bytes:,}")
        for label in filter(None, (part.strip() for part in args.capacity.split(","))):
            size = parse_capacity(label, trace.unique_bytes)
            s3fifo = 0.0
            if not args.no_reactive:
                reactive = [("lru", "lru", 0), ("s3fifo", "s3fifo", 0)]
                if args.admission:
                    reactive.append(("s3fifo+adm", "s3fifo", args.admission))
                for name, kind, slices in reactive:
                    result = replay(trace, EvictionKind(kind), size, slices)
                    ratio = result.total.byte_hit_ratio
                    s3fifo = ratio if name == "s3fifo" else s3fifo
                    missed = result.total.requested_bytes - result.total.hit_bytes
                    print(
                        f"{path.name} {label} {name:<8} byte hit {ratio:.4f} origin bytes "
                        f"{missed:,}",
                        flush=True,
                    )
            for name, plan, oracle in runs:
                started = time.perf_counter()
                result = replay_prefill(
                    trace, EvictionKind.S3FIFO, size, plan, oracle, args.admission
                )
                ratio = result.total.byte_hit_ratio
                goal = GOALS.get(label)
                verdict = "" if goal is None else ("goal met" if ratio >= goal else "goal NOT met")
                versus = f" x{ratio / s3fifo:.3f} of s3fifo" if s3fifo else ""
                total = result.total
                # What the origin sends in all: misses plus fills (a fill at peak costs as much).
                origin = total.requested_bytes - total.hit_bytes + total.fill_bytes
                print(
                    f"{path.name} {label} {name:<8} byte hit {ratio:.4f}{versus} fill bytes "
                    f"{total.fill_bytes:,} origin bytes {origin:,} {verdict} "
                    f"({time.perf_counter() - started:.0f} s,"
                    f" load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
