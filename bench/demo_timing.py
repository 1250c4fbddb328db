"""The first minutes of a new user: how long until every demo title plays (issue 14).

Starts the real platform (`vodstack up`, demo media on) on a fresh data directory and watches
the catalog every 2 s, timing from the moment `vodstack up` is launched:

- the site up (the gateway answers, demo accounts and titles seeded);
- the first and the last demo title playable at all (a preview or the complete version);
- the first and the last title with its complete ladder published;
- the last job finished (its VMAF report added after the publish).

It also prints the CPU time the whole platform used (every process it started, reaped when it
stops) and the load average: on a shared machine the wall times say more about the neighbours
than about vodstack, and CPU seconds / cores is what the same work needs on an idle machine.

    nice .venv/bin/python bench/demo_timing.py [--timeout-min 45] [--json out.json] \
        [--data-dir var/demo-timing] [--port-base 21600]

The data directory must be fresh (absent or empty; a temporary one by default): a used one
has its media already. `--port-base` puts the platform on consecutive ports from there (a block
of one's own on a shared host) instead of free ports the kernel picks.

The anchor is the target of issue 14 on a 2-core machine: every title playable within 5 min,
the whole ladder within 30 min; the ratios printed are measured / target (below 1 = met).
It is one run of a long process, not interleaved rounds: the spread comes from repeating it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vodstack.clients.catalog import CatalogClient
from vodstack.clients.pipeline import PipelineClient
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.contracts.catalog import Availability, TitleSort, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.core.service_auth import ServiceCredentials
from vodstack.supervisor.launcher import RunningPlatform, running_platform

TARGET_PLAYABLE_S = 5 * 60.0
TARGET_COMPLETE_S = 30 * 60.0
POLL_S = 2.0


@dataclass
class Timeline:
    """Seconds since `vodstack up` was launched."""

    up_s: float
    titles: int = 0
    playable: dict[int, float] = field(default_factory=dict)
    complete: dict[int, float] = field(default_factory=dict)
    jobs_done_s: float | None = None
    cpu_s: float | None = None  # CPU time of the platform, every process it started
    load: list[float] = field(default_factory=list)  # 1-min load average at each poll

    def first(self, times: dict[int, float]) -> float | None:
        return min(times.values()) if times else None

    def last(self, times: dict[int, float]) -> float | None:
        return max(times.values()) if times and len(times) == self.titles else None


async def _complete(catalog: CatalogClient, title: TitleSummary) -> bool:
    """The catalog serves the title's complete version (not its preview)."""
    if title.availability is not Availability.AVAILABLE:
        return False
    version = (await catalog.title(title.id, Maturity.ADULT, unpublished=True)).asset_version
    return version is not None and not version.endswith("-preview")


async def _titles(catalog: CatalogClient) -> list[TitleSummary]:
    page = await catalog.titles(Maturity.ADULT, sort=TitleSort.TITLE, limit=100, unpublished=True)
    return page.items


async def _watch(
    platform: RunningPlatform, began: float, up_s: float, timeout_s: float
) -> Timeline:
    settings = with_secrets(load_settings(data_dir=platform.data_dir))
    credentials = ServiceCredentials.from_settings(settings, "bench")
    catalog = CatalogClient(platform.service_url("catalog"), credentials=credentials, timeout=30)
    pipeline = PipelineClient(platform.service_url("pipeline"), credentials=credentials, timeout=30)
    timeline = Timeline(up_s=up_s)
    try:
        while time.monotonic() - began < timeout_s:
            now = time.monotonic() - began
            titles = await _titles(catalog)
            timeline.titles = len(titles)
            timeline.load.append(os.getloadavg()[0])
            for title in titles:
                if title.availability is Availability.AVAILABLE:
                    timeline.playable.setdefault(title.id, now)
                if title.id not in timeline.complete and await _complete(catalog, title):
                    timeline.complete.setdefault(title.id, now)
            if timeline.last(timeline.complete) is not None:
                jobs = await pipeline.jobs(limit=500)
                if len(jobs) >= len(titles) and all(j.state.terminal for j in jobs):
                    timeline.jobs_done_s = now
                    return timeline
            print(
                f"{now:7.0f} s  playable {len(timeline.playable)}/{len(titles)}  "
                f"complete {len(timeline.complete)}/{len(titles)}",
                flush=True,
            )
            await asyncio.sleep(POLL_S)
    finally:
        await catalog.aclose()
        await pipeline.aclose()
    return timeline


def _fmt(seconds: float | None, target: float | None = None) -> str:
    if seconds is None:
        return "not reached"
    text = f"{seconds:7.0f} s ({seconds / 60:4.1f} min)"
    return text + (f"  {seconds / target:.2f}x the target" if target else "")


def _report(t: Timeline) -> None:
    print(f"\n{t.titles} demo titles, times since `vodstack up` was launched:")
    print(f"  site up                 {_fmt(t.up_s)}")
    print(f"  first title playable    {_fmt(t.first(t.playable))}")
    print(f"  every title playable    {_fmt(t.last(t.playable), TARGET_PLAYABLE_S)}")
    print(f"  first complete ladder   {_fmt(t.first(t.complete))}")
    print(f"  every complete ladder   {_fmt(t.last(t.complete), TARGET_COMPLETE_S)}")
    print(f"  every job done (VMAF)   {_fmt(t.jobs_done_s)}")
    if t.load:
        median, peak = statistics.median(t.load), max(t.load)
        print(f"  load average (1 min)    median {median:.1f}, max {peak:.1f}")
    if t.cpu_s is not None:
        cores = os.cpu_count() or 1
        idle_min = t.cpu_s / cores / 60
        print(
            f"  platform CPU time       {t.cpu_s:.0f} s = {idle_min:.1f} min on {cores} idle cores"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--timeout-min", type=float, default=45.0)
    parser.add_argument("--json", type=Path, default=None, help="Also write the timeline here.")
    parser.add_argument("--data-dir", type=Path, default=None, help="Fresh (absent or empty).")
    parser.add_argument("--port-base", type=int, default=None, help="First of the ports used.")
    parser.add_argument(
        "--start-timeout-s",
        type=float,
        default=None,
        help="The supervisor's patience for each service's first health check (default 60 s; "
        "a machine at a load of 40 needs more).",
    )
    args = parser.parse_args()
    if args.data_dir is not None and args.data_dir.exists() and any(args.data_dir.iterdir()):
        parser.error(f"{args.data_dir} is not empty: the demo timing needs a fresh data dir")
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        began = time.monotonic()
        patience = {}
        if args.start_timeout_s is not None:
            patience["VODSTACK_SUPERVISOR__START_TIMEOUT_S"] = str(args.start_timeout_s)
        with running_platform(
            data_dir, demo_media=True, timeout=600, port_base=args.port_base, extra_env=patience
        ) as platform:
            up_s = time.monotonic() - began
            timeline = asyncio.run(_watch(platform, began, up_s, args.timeout_min * 60))
        # The platform has stopped: every process of it was waited for, so its CPU time is in.
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        timeline.cpu_s = usage.ru_utime + usage.ru_stime
    _report(timeline)
    if args.json is not None:
        args.json.write_text(json.dumps(asdict(timeline), indent=2))


if __name__ == "__main__":
    main()
