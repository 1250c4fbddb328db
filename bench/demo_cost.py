"""What the demo costs in CPU, title by title: the figure a quiet 2-core machine would see.

`bench/demo_timing.py` times the demo on this machine, where other work shares the cores; this
one measures CPU seconds, which neighbours do not change. For each of the six demo patterns it
makes a master exactly as `vodstack up` does (`DEMO_MASTER_PRESET`/`CRF`, 1280x720, the
median demo length of 20 s), then runs that master's whole job through `vodstack ingest` with
the platform down (local worker processes: probe, preview pass, main pass, VMAF), and reads
the CPU time of every process each step started (RUSAGE_CHILDREN, reaped when they exit).

    nice .venv/bin/python bench/demo_cost.py [--seconds 20]

It prints per pattern the master's CPU and the job's, and what 18 titles (three of each
pattern, as the demo catalogue has) need in CPU minutes over two cores: the lower bound of
the demo's wall time on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from vodstack.config.settings import DEFAULT_PORTS
from vodstack.pipeline.media import Pattern, make_synthetic
from vodstack.pipeline.media.synthetic import DEMO_MASTER_CRF, DEMO_MASTER_PRESET
from vodstack.supervisor.launcher import free_port

TITLES_PER_PATTERN = 3  # 18 demo titles over six patterns


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ingest(data_dir: Path, master: Path, title_id: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    # Ports nobody listens on: the platform is down, so ingest runs the job itself.
    env["VODSTACK_PORTS"] = json.dumps({name: free_port() for name in DEFAULT_PORTS})
    env["VODSTACK_PIPELINE__WORKERS"] = "2"
    command = [sys.executable, "-m", "vodstack", "ingest", str(master)]
    command += ["--title-id", str(title_id), "--data-dir", str(data_dir)]
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=3600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    master_total = job_total = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-demo-cost-") as tmp:
        root = Path(tmp)
        for index, pattern in enumerate(Pattern, start=1):
            master = root / f"{pattern.value}.mp4"
            before = _children_cpu()
            make_synthetic(
                master,
                pattern,
                duration_s=args.seconds,
                title=f"Demo {pattern.value}",
                crf=DEMO_MASTER_CRF,
                preset=DEMO_MASTER_PRESET,
            )
            made = _children_cpu()
            _ingest(root / "data", master, index)
            done = _children_cpu()
            master_total += made - before
            job_total += done - made
            spent = f"master {made - before:6.1f} s CPU   job {done - made:6.1f} s CPU"
            print(f"{pattern.value:12} {spent}", flush=True)
    cores = os.cpu_count() or 1
    per_title = (master_total + job_total) / len(Pattern)
    demo = TITLES_PER_PATTERN * (master_total + job_total)
    print(
        f"\nper title (mean of the six patterns, {args.seconds:g} s masters): {per_title:.1f} s CPU"
    )
    masters, jobs = TITLES_PER_PATTERN * master_total, TITLES_PER_PATTERN * job_total
    idle_min = demo / cores / 60
    print(f"18 titles: {demo:.0f} s CPU = {idle_min:.1f} min on {cores} idle cores")
    print(f"  (masters {masters:.0f} s, jobs {jobs:.0f} s)")


if __name__ == "__main__":
    main()
