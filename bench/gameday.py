"""Game day benchmarks (issue 15, 9b and 9d) on the real platform; the anchor is the control
group, which runs side by side with the experiment group in the same game day.

    .venv/bin/python bench/gameday.py [--viewers 50] [--minutes 5] [--kong-minutes 3] [--only b|d]

Starts `vodstack up` with two instances of every stateless service (gateway, accounts, catalog,
playback, pipeline) and chaos on, ingests a generated title, then runs the real `vodstack gameday`:

(b) `--chaos monkey --monkey-interval 15`: every 15 s the monkey kills a random instance of each
    stateless service, and one of the experiment region's edges. Goals: 0 failed stream starts;
    experiment starts per viewer within 5 % of control's.
(d) `--chaos kong`: region eu (the experiment group's) goes down mid-play. Goals: every session
    playing through it carries on (no failed session, at most one rebuffer each); new starts
    play from the other region within 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vodstack.pipeline.media import pattern_clip
from vodstack.supervisor.launcher import RunningPlatform, ingest, platform_env, running_platform

SCALE = '{"gateway": 2, "accounts": 2, "catalog": 2, "playback": 2, "pipeline": 2}'
CLIP_S = 120


def gameday(platform: RunningPlatform, out: Path, *args: str) -> dict[str, Any]:
    env = platform_env(platform.data_dir, platform.ports, {})
    command = [sys.executable, "-m", "vodstack", "gameday", "--out", str(out), *args]
    print("$ vodstack gameday --out", out, " ".join(args), flush=True)
    load = os.getloadavg()
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    print(result.stdout[-3000:], result.stderr[-2000:], flush=True)
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    report["_bench"] = {
        "exit": result.returncode,
        "wall_s": time.monotonic() - started,
        "load_before": load,
        "load_after": os.getloadavg(),
    }
    return report


def show_b(report: dict[str, Any]) -> None:
    groups = report["summary"]["groups"]
    print("(b) game day with Chaos Monkey:", report["_bench"])
    for name in ("control", "experiment"):
        g = groups[name]
        print(
            f"  {name:<10} viewers {g['viewers']}  starts {g['starts']}  failed starts "
            f"{g['failed_starts']}  starts/viewer in chaos window "
            f"{g['starts_per_viewer_in_chaos_window']:.2f}  failed sessions "
            f"{g['failed_sessions']}  rebuffer ratio {g['rebuffer_ratio']:.4f}  startup p50/p99 "
            f"{g['startup_p50_ms']:.0f}/{g['startup_p99_ms']:.0f} ms  edge switches "
            f"{g['edge_switches']}"
        )
    inputs = report["summary"]["slo_inputs"]
    kills = sum(1 for e in report["events"] if e["kind"] == "monkey")
    print(f"  monkey kills: {kills}")
    print(f"  failed stream starts: {inputs['failed_starts']:.0f}  (goal 0)")
    ratio = inputs["start_ratio"]
    print(f"  experiment/control starts per viewer: {ratio:.3f}  (goal within 5 %: 0.95-1.05)")
    print(
        f"  fallbacks served: {report['summary']['fallbacks_served']}  gateway counters: "
        f"{report['gateway_counters']}"
    )
    print("  routes:")
    for route, r in report["summary"]["routes"].items():
        print(
            f"    {route:<36} n {r['requests']:>6}  failed {r['failed']:>4}  p50 "
            f"{r['p50_ms']:>7.1f}  p99 {r['p99_ms']:>8.1f} ms"
        )


def show_d(report: dict[str, Any]) -> None:
    kong = report["summary"]["kong"]
    print("(d) Chaos Kong on eu mid-play:", report["_bench"])
    print(f"  {kong}")
    if kong is None:
        print("  kong never ran")
        return
    print(
        f"  sessions playing through Kong: {kong['sessions_playing_through']}, failed "
        f"{kong['of_them_failed']}, most rebuffers in one {kong['max_rebuffers_of_them']}  "
        "(goal: none failed, <= 1 each)"
    )
    last = kong["last_start_in_region_after_s"]
    print(
        f"  new starts after Kong: {kong['starts_after']}, failed {kong['failed_starts_after']}; "
        f"first from the other region after {kong['first_start_elsewhere_after_s']} s; last "
        f"still from eu after {last} s  (goal <= 10 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Game day benchmarks (issue 15, 9b and 9d)")
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--kong-minutes", type=float, default=3.0)
    parser.add_argument("--only", choices=["b", "d"])
    parser.add_argument("--keep", type=Path, help="Copy the reports here.")
    parser.add_argument(
        "--start-timeout", type=int, default=600, help="Seconds the platform may take to start."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        extra = {
            "VODSTACK_SCALE__INSTANCES": SCALE,
            "VODSTACK_CHAOS__ENABLED": "true",
            # 17 Python services starting at once on a loaded 2-core host take minutes.
            "VODSTACK_SUPERVISOR__START_TIMEOUT_S": str(args.start_timeout),
        }
        with running_platform(
            tmp / "data", extra_env=extra, timeout=args.start_timeout + 60
        ) as platform:
            ingest(platform, pattern_clip(tmp / "clip.mp4", CLIP_S), "Game Day Feature")
            print(f"platform up, title ingested; load average {os.getloadavg()}", flush=True)
            out = args.keep or tmp / "reports"
            viewers = str(args.viewers)
            if args.only != "d":
                show_b(
                    gameday(
                        platform,
                        out / "b",
                        "--viewers",
                        viewers,
                        "--minutes",
                        str(args.minutes),
                        "--chaos",
                        "monkey",
                        "--monkey-interval",
                        "15",
                        "--slo",
                        "failed_starts<=0,start_ratio>=0.95",
                    )
                )
            if args.only != "b":
                show_d(
                    gameday(
                        platform,
                        out / "d",
                        "--viewers",
                        viewers,
                        "--minutes",
                        str(args.kong_minutes),
                        "--chaos",
                        "kong",
                        "--slo",
                        "failed_sessions<=0,max_rebuffers<=1",
                    )
                )
            if args.keep:  # the supervisor's log says what the chaos did to each process
                shutil.copy(platform.data_dir / "up.log", args.keep / "up.log")
                shutil.copytree(platform.data_dir / "logs", args.keep / "logs", dirs_exist_ok=True)
    print(f"load average at the end: {os.getloadavg()} (2 shared cores: figures are noisy)")


if __name__ == "__main__":
    main()
