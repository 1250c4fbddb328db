"""The history store's hot paths in-process: the consumer's `apply` and continue-watching reads.

Applies `--blocks` blocks of `--block` heartbeats (profiles spread over the 4 shards, titles
revisited so most events update a stored row) to a fresh `ShardedHistory`, then reads every
profile's continue-watching row with the cache off. Prints events/s and reads/s.

    .venv/bin/python bench/history_apply.py [--blocks 200] [--block 500] [--url-template URL]
    .venv/bin/python bench/history_apply.py --compare REV [--rounds 3]

`--compare REV` runs the same measurement on the source of commit REV (`git archive` into a
temporary tree, first on PYTHONPATH of a child process), interleaved with the working tree's
in each round, and prints both medians and the ratio (this tree / REV).
`--url-template` (e.g. a PostgreSQL URL with `{generation}` and `{shard}`) is the working
tree's only: REV may predate shard URLs.
"""

from __future__ import annotations

import argparse
import importlib
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


def _events(blocks: int, block: int) -> list[list[Any]]:
    from vodstack.contracts.events import EVENT

    out, tick = [], 0
    for _ in range(blocks):
        part = []
        for _ in range(block):
            tick += 1
            part.append(
                EVENT.validate_python(
                    {
                        "type": "heartbeat",
                        "event_id": f"event-{tick:08d}",
                        "session_id": "bench-session",
                        "profile_id": 1 + tick % PROFILES,
                        "title_id": 1 + tick % 37,
                        "position_s": float(tick % 900),
                        "duration_s": 1000.0,
                        "at": (T0 + timedelta(seconds=tick)).isoformat(),
                    }
                )
            )
        out.append(part)
    return out


def measure(blocks: int, block: int, url_template: str | None) -> dict[str, float]:
    from vodstack.services.history.cache import LookAsideCache

    try:
        from vodstack.services.history.repository import ShardedHistory, ShardLayout
    except ImportError:  # an older tree under --compare: the module was store.py then
        store = importlib.import_module("vodstack.services.history.store")
        ShardedHistory, ShardLayout = store.ShardedHistory, store.ShardLayout  # type: ignore[misc]

    events = _events(blocks, block)
    with tempfile.TemporaryDirectory() as tmp:
        extra = {"url_template": url_template} if url_template else {}
        layout = ShardLayout(Path(tmp), 4, 64, 0.95, **extra)  # type: ignore[arg-type]
        history = ShardedHistory(layout, LookAsideCache(ttl_s=0))
        started = time.perf_counter()
        for part in events:
            history.apply(part)
        applied = time.perf_counter() - started
        started = time.perf_counter()
        for profile in range(1, PROFILES + 1):
            history.continue_watching(profile)
        read = time.perf_counter() - started
        history.close()
    return {"events_per_s": blocks * block / applied, "reads_per_s": PROFILES / read}


def _child(pythonpath: str | None, args: argparse.Namespace) -> dict[str, float]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
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
        sides: dict[str, str | None] = {"tree": str(REPO / "src"), args.compare: f"{tmp}/rev/src"}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        for i in range(args.rounds):
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for name in order:
                results[name].append(_child(sides[name], args))
    print(f"load average {os.getloadavg()}")
    for metric in ("events_per_s", "reads_per_s"):
        medians = {n: statistics.median(r[metric] for r in runs) for n, runs in results.items()}
        spread = {n: [round(r[metric]) for r in runs] for n, runs in results.items()}
        ratio = medians["tree"] / medians[args.compare]
        print(f"{metric}: {json.dumps({n: round(m) for n, m in medians.items()})} "
              f"rounds {spread} ratio tree/{args.compare} {ratio:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=200)
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
