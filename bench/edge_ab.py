"""Two edges' hit paths side by side: this checkout against another, same cache, same load.

    .venv/bin/python bench/edge_ab.py --a /path/to/other/checkout/src [--rounds 4] [--duration 4]

Starts the origin and two edges (alone in their regions), edge A importing vodstack from
`--a` (another checkout's `src`, e.g. `git archive <rev> src | tar -x -C /tmp/old`) and edge B
from this one, both pinned to the first CPU and wrk to the rest (as bench/edge.py pins them);
warms both caches with the same 2 MB and 20 KB objects, then drives each with the same wrk
request list in interleaved rounds (A, B, then B, A). Prints per object size the median and
min-max of the per-round throughput ratio B / A and of each side's CPU time per request
(user + system from /proc): an A/B of a hit-path change in one run, which a loaded machine
distorts less than two separate runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import edge as bench  # bench/edge.py: corpus, wrk, /proc CPU
from vodstack.config import Settings, load_settings
from vodstack.config.secrets import with_secrets
from vodstack.delivery.assets import asset_url_prefix
from vodstack.delivery.tokens import TokenSigner
from vodstack.delivery.topology import Topology

SIDES = {"A": "edge-eu-1", "B": "edge-us-1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--a", required=True, help="the other checkout's src directory")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=int, default=4)
    args = parser.parse_args()
    server_cpus, load_cpus = bench.split_cpus(1, pin=True)
    if load_cpus is not None:
        os.sched_setaffinity(0, load_cpus)
    sources = {"A": args.a, "B": str(Path(__file__).parent.parent / "src")}
    with tempfile.TemporaryDirectory(prefix="vodstack-ab-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        ports = {"origin": bench.free_port(), "playback": bench.free_port()}
        ports |= {name: bench.free_port() for name in SIDES.values()}
        cdn = {"regions": ["eu", "us"], "edges_per_region": 1, "revocation_poll_s": 0.0}
        settings = with_secrets(
            load_settings(data_dir=tmp / "data", ports=ports, log_level="warning", cdn=cdn)
        )
        corpus = bench.make_corpus(tmp / "data" / "objects")
        topology = Topology.from_settings(settings)
        urls = {side: topology.edge(name).url for side, name in SIDES.items()}
        pids: dict[str, int] = {}
        servers = [("origin", topology.origin_url, sources["B"], load_cpus)]
        servers += [(SIDES[s], urls[s], sources[s], server_cpus) for s in SIDES]
        for name, url, source, cpus in servers:
            command = [sys.executable, "-m", "vodstack.cdn.server", name, "--settings-stdin"]
            process = stack.enter_context(
                _with_pythonpath(source, command, tmp / f"{name}.log", settings, cpus)
            )
            bench.wait_http(url + "/healthz", process)
            pids[name] = process.pid
        prefix = asset_url_prefix(bench.TITLE, bench.VERSION)
        token = TokenSigner.from_settings(settings).sign(prefix, "bench", 3600)
        paths = {
            kind: [f"{prefix}{name}?t={token}" for name in files]
            for kind, files in (("2 MB", corpus.big), ("20 KB", corpus.small))
        }
        with httpx.Client(timeout=30) as client:
            for path in paths["2 MB"] + paths["20 KB"]:
                for url in urls.values():
                    client.get(url + path).raise_for_status()
        time.sleep(1)  # fills commit after their answers
        load = bench.Load(32, 1, args.duration, load_cpus)
        for kind, kind_paths in paths.items():
            script = bench.wrk_script(tmp, kind.replace(" ", ""), kind_paths)
            rates, cpu, wrk_cpu = _rounds(
                urls, {s: pids[SIDES[s]] for s in SIDES}, script, load, args
            )
            print(_line(kind, rates, cpu, wrk_cpu))
    print(f"load average at the end {bench.load_average()}")


def _with_pythonpath(
    source: str, command: list[str], log: Path, settings: Settings, cpus: set[int] | None
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    # Which checkout the child imports: inherited from this process's environment.
    os.environ["PYTHONPATH"] = source
    return bench.owned(command, log, settings.dump_for_child().encode(), cpus)


def _rounds(
    urls: dict[str, str],
    pids: dict[str, int],
    script: Path,
    load: bench.Load,
    args: argparse.Namespace,
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    rates: dict[str, list[float]] = {side: [] for side in urls}
    cpu: dict[str, list[float]] = {side: [] for side in urls}
    client: dict[str, list[float]] = {side: [] for side in urls}
    for number in range(args.rounds):
        for side in ("A", "B") if number % 2 == 0 else ("B", "A"):
            before, client_before = bench.cpu_s(pids[side]), bench.wrk_cpu_s()
            rate, count = bench.run_wrk(urls[side], script, load)
            rates[side].append(rate)
            cpu[side].append((bench.cpu_s(pids[side]) - before) / count * 1e6)
            client[side].append((bench.wrk_cpu_s() - client_before) / count * 1e6)
    return rates, cpu, client


def _line(
    kind: str,
    rates: dict[str, list[float]],
    cpu: dict[str, list[float]],
    client: dict[str, list[float]],
) -> str:
    ratio = [b / a for a, b in zip(rates["A"], rates["B"], strict=True)]
    return (
        f"{kind}: throughput B/A {statistics.median(ratio):.3f} "
        f"({min(ratio):.3f}-{max(ratio):.3f}); CPU per request A "
        f"{statistics.median(cpu['A']):.1f} us, B {statistics.median(cpu['B']):.1f} us; "
        f"wrk CPU per request A {statistics.median(client['A']):.1f} us, "
        f"B {statistics.median(client['B']):.1f} us"
    )


if __name__ == "__main__":
    main()
