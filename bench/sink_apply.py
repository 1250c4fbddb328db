"""The consumer sinks' write path in-process: popularity, telemetry, recs watched, experiments.

Applies `--blocks` blocks of `--block` player events (play starts, heartbeats, stalls, stops,
exposures; profiles and titles revisited so most events update a stored row) to a fresh sink
of each kind and prints events/s per sink, then the recs sink's per-profile `recent` reads/s.

    .venv/bin/python bench/sink_apply.py [--blocks 100] [--block 500] [--url-template URL]
    .venv/bin/python bench/sink_apply.py --compare REV [--rounds 3]

`--compare REV` runs the same measurement on the source of commit REV (`git archive` into a
temporary tree, first on PYTHONPATH of a child process), interleaved with the working tree's
in each round, and prints both medians and the ratio (this tree / REV). REV may predate the
sinks on SQLAlchemy (`SqliteSink`, constructed with a file path): both are handled.
`--url-template` (a database URL with `{sink}`, e.g. a PostgreSQL server's database per sink)
is the working tree's only.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PROFILES = 2_000
KINDS = ("play_start", "heartbeat", "heartbeat", "heartbeat", "rebuffer_end", "stop", "exposure")


def _event(tick: int) -> dict[str, Any]:
    kind = KINDS[tick % len(KINDS)]
    at = (T0 + timedelta(seconds=tick)).isoformat()
    profile = 1 + tick % PROFILES
    if kind == "exposure":
        return {"type": kind, "event_id": f"event-{tick:08d}", "profile_id": profile,
                "account_id": profile, "experiment": "abr", "cell": f"c{profile % 2}",
                "at": at}  # fmt: skip
    extra: dict[str, dict[str, Any]] = {"play_start": {"startup_ms": 300.0 + tick % 900},
             "rebuffer_end": {"stall_ms": 500.0}, "stop": {"completed": tick % 3 == 0}}  # fmt: skip
    return {"type": kind, "event_id": f"event-{tick:08d}", "session_id": "bench-session",
            "profile_id": profile, "title_id": 1 + tick % 37, "position_s": float(tick % 900),
            "duration_s": 1000.0, "region": ("eu", "us")[tick % 2], "edge": f"edge-{tick % 4}",
            "abr": "bola", "at": at, **extra.get(kind, {})}  # fmt: skip


def _blocks(blocks: int, block: int) -> list[list[Any]]:
    from vodstack.contracts.events import EVENT

    return [
        [EVENT.validate_python(_event(b * block + i)) for i in range(block)] for b in range(blocks)
    ]


def _sinks(tmp: Path, url_template: str | None) -> dict[str, Any]:
    from vodstack.events.consumers.popularity import PopularitySink
    from vodstack.events.consumers.telemetry import TelemetrySink
    from vodstack.services.experiments.metrics import ExperimentSink
    from vodstack.services.recs.watched import WatchedSink

    # A tree before the SQLAlchemy sinks took file paths; this one takes database URLs.
    by_path = importlib.util.find_spec("vodstack.events.consumers.sink") is not None

    def where(name: str) -> Any:
        if by_path:
            return tmp / f"{name}.sqlite"
        if url_template:
            return url_template.format(sink=name)
        return f"sqlite:///{tmp / name}.sqlite"

    return {
        "popularity": PopularitySink(where("popularity")),
        "telemetry": TelemetrySink(where("telemetry"), 10),
        "recs_watched": WatchedSink(where("recs_watched")),
        "experiments": ExperimentSink(where("experiments_activity")),
    }


def measure(blocks: int, block: int, url_template: str | None) -> dict[str, float]:
    events = _blocks(blocks, block)
    result: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sinks = _sinks(Path(tmp), url_template)
        for name, sink in sinks.items():
            started = time.perf_counter()
            for part in events:
                sink.apply(part)
            result[f"{name}_events_per_s"] = blocks * block / (time.perf_counter() - started)
        watched = sinks["recs_watched"]
        started = time.perf_counter()
        for profile in range(1, PROFILES + 1):
            watched.recent(profile)
        result["recs_recent_reads_per_s"] = PROFILES / (time.perf_counter() - started)
        for sink in sinks.values():
            sink.close()
    return result


def _child(pythonpath: str, args: argparse.Namespace) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=pythonpath)
    command = [sys.executable, __file__, "--json", f"--blocks={args.blocks}",
               f"--block={args.block}"]  # fmt: skip
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def compare(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "rev.tar"
        subprocess.run(["git", "-C", str(REPO), "archive", "-o", str(archive), args.compare],
                       check=True)  # fmt: skip
        with tarfile.open(archive) as tar:
            tar.extractall(Path(tmp) / "rev", filter="data")
        sides = {"tree": str(REPO / "src"), args.compare: f"{tmp}/rev/src"}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        for i in range(args.rounds):
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for name in order:
                results[name].append(_child(sides[name], args))
    print(f"load average {os.getloadavg()}")
    for metric in results["tree"][0]:
        medians = {n: statistics.median(r[metric] for r in runs) for n, runs in results.items()}
        spread = {n: [round(r[metric]) for r in runs] for n, runs in results.items()}
        ratio = medians["tree"] / medians[args.compare]
        print(f"{metric}: {json.dumps({n: round(m) for n, m in medians.items()})} "
              f"rounds {spread} ratio tree/{args.compare} {ratio:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--block", type=int, default=500)
    parser.add_argument("--url-template")
    parser.add_argument("--compare", metavar="REV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.compare:
        compare(args)
        return
    result = measure(args.blocks, args.block, args.url_template)
    print(json.dumps(result) if args.json else result)


if __name__ == "__main__":
    main()
