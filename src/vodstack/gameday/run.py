"""Running a game day: accounts, viewers signed in, the clock, chaos, scraping, the report."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vodstack.clients.accounts import AccountsClient
from vodstack.config import Settings
from vodstack.contracts.accounts import AdminAccountCreate, PlanCode
from vodstack.contracts.autoscale import decisions_path
from vodstack.contracts.catalog import Availability, TitlePage
from vodstack.core.chaos import sign_group
from vodstack.gameday.chaos_script import open_experiment, run_chaos
from vodstack.gameday.plan import EXPERIMENT, GamedayPlan, PlanError
from vodstack.gameday.record import Recorder
from vodstack.gameday.report import write_report
from vodstack.gameday.scrape import GatewayCounters, scrape_gateways
from vodstack.gameday.summary import summarize
from vodstack.gameday.viewer import Viewer, ViewerAccount, sign_in_all
from vodstack.supervisor.chaos import ChaosTarget
from vodstack.supervisor.status import run_dir

#: Where the autoscaler (issue 15 point 5) logs its decisions, one JSON object per line: the
#: report includes every line appended while the game day ran.
#: Viewers join over at most this long at the start, not all in the same instant.
RAMP_S = 10.0
#: After the clock ends, how long viewers get to stop their plays before they are abandoned.
GRACE_S = 30.0

Progress = Callable[[str], None]


async def create_accounts(settings: Settings, count: int) -> list[ViewerAccount]:
    """One Premium account per viewer (its own streams, its own profile), made by the operator
    path the demo seeding uses; each game day makes new ones (`gameday-RUN-N@vodstack.local`)."""
    run = secrets.token_hex(4)
    accounts = [
        ViewerAccount(f"gameday-{run}-{i}@vodstack.local", secrets.token_urlsafe(12))
        for i in range(count)
    ]
    client = AccountsClient.of(settings, "gameday", timeout=30.0)
    limit = asyncio.Semaphore(4)  # argon2 hashes: a few at a time keep the accounts service live

    async def create(account: ViewerAccount) -> None:
        async with limit:
            body = AdminAccountCreate(
                email=account.email, password=account.password, plan=PlanCode.PREMIUM
            )
            await client.create_account(body)

    try:
        await asyncio.gather(*(create(a) for a in accounts))
    finally:
        await client.aclose()
    return accounts


def _edge_regions(target: ChaosTarget) -> dict[str, str]:
    """`host:port` of each edge -> its region (what a start's first segment came from)."""
    host = target.settings.host
    return {
        f"{host}:{svc.port}": svc.region or ""
        for svc in target.status.services
        if svc.name.startswith("edge-") and svc.port
    }


class _Autoscaler:
    """The autoscaler's decision log, from where it stood when the game day began."""

    def __init__(self, settings: Settings) -> None:
        # The autoscaler's own log (contracts.autoscale); read from the game day's start on.
        self.path = decisions_path(run_dir(settings))
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def actions(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"actions": [], "note": f"no autoscaler decision log at {self.path}"}
        with self.path.open() as log:
            log.seek(self.offset)
            lines = [line for line in log.read().splitlines() if line.strip()]
        actions = []
        for line in lines:
            with contextlib.suppress(ValueError):
                actions.append(json.loads(line))
        return {"actions": actions, "note": f"{len(actions)} decision(s) in {self.path}"}


async def run_gameday(
    settings: Settings,
    plan: GamedayPlan,
    *,
    progress: Progress = lambda line: None,
    announce: Progress = print,
) -> tuple[dict[str, Any], Path, Path]:
    """Run the game day against the platform of `settings`; returns the report and its files."""
    target = open_experiment(settings, plan)
    running = target.settings
    gateway = running.service_url("gateway")
    announce(f"creating {plan.viewers} viewer accounts and signing them in")
    accounts = await create_accounts(running, plan.viewers)
    recorder = Recorder()
    stop = threading.Event()
    mark = sign_group(running.secret(), EXPERIMENT, time.time() + plan.duration_s + 3600)
    regions = _edge_regions(target)
    viewers = [
        Viewer(i, account, plan, gateway, recorder, regions, mark if i % 2 else None, stop)
        for i, account in enumerate(accounts)
    ]
    try:
        failures = await asyncio.to_thread(sign_in_all, viewers)
        if failures:
            raise PlanError(f"{len(failures)} viewer(s) could not sign in: {failures[0]}")
        if not await asyncio.to_thread(_something_playable, viewers[0]):
            raise PlanError(
                "no title is playable yet: wait for the demo media (`vodstack jobs --watch`) "
                "or ingest one (`vodstack ingest FILE --title ... --wait`)"
            )
        return await _play(target, plan, viewers, recorder, stop, progress, announce)
    finally:
        stop.set()
        for viewer in viewers:
            viewer.close()


def _something_playable(viewer: Viewer) -> bool:
    page = TitlePage.model_validate_json(
        viewer.session.get("/api/titles", params={"limit": 40, "sort": "new"}).content
    )
    return any(t.availability is Availability.AVAILABLE for t in page.items)


async def _play(
    target: ChaosTarget,
    plan: GamedayPlan,
    viewers: list[Viewer],
    recorder: Recorder,
    stop: threading.Event,
    progress: Progress,
    announce: Progress,
) -> tuple[dict[str, Any], Path, Path]:
    started_at = datetime.now(UTC)
    autoscaler = _Autoscaler(target.settings)
    # The game day's clock starts now: everything before (accounts, sign-in) is set-up.
    recorder.started = time.monotonic()
    recorder.requests.clear()
    done = asyncio.Event()
    counters = GatewayCounters()
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(max_workers=len(viewers), thread_name_prefix="viewer")
    ramp = min(RAMP_S, plan.chaos_starts_s) / len(viewers)

    def viewer_run(viewer: Viewer) -> None:
        if not stop.wait(viewer.index * ramp):
            viewer.run(plan.duration_s)

    plays = [loop.run_in_executor(executor, viewer_run, v) for v in viewers]
    tasks = [
        asyncio.create_task(
            scrape_gateways(target.settings.service_url("gateway"), counters, recorder, done)
        ),
        asyncio.create_task(_show_progress(plan, recorder, progress, announce, done)),
    ]
    chaos_task = asyncio.create_task(run_chaos(target, plan, recorder, done))
    try:
        await asyncio.wait_for(asyncio.gather(*plays), plan.duration_s + GRACE_S)
    except TimeoutError:
        recorder.event("note", "some viewers did not stop in time and were abandoned")
    finally:
        stop.set()
        done.set()
        # The chaos task ends with the kill switch: wait for it even on Ctrl-C.
        await asyncio.gather(chaos_task, *tasks, return_exceptions=True)
        executor.shutdown(wait=False, cancel_futures=True)
    return _finish(target, plan, viewers, recorder, counters, autoscaler, started_at)


def _finish(
    target: ChaosTarget,
    plan: GamedayPlan,
    viewers: list[Viewer],
    recorder: Recorder,
    counters: GatewayCounters,
    autoscaler: _Autoscaler,
    started_at: datetime,
) -> tuple[dict[str, Any], Path, Path]:
    snapshot = recorder.snapshot()
    kong_at = next((e.at for e in recorder.events if e.kind == "kong"), None)
    stopped_at = next((e.at for e in recorder.events if e.kind == "stop"), math.inf)
    summary = summarize(
        plan, recorder.requests, recorder.starts, recorder.sessions, kong_at, stopped_at
    )
    slo = [
        {
            "objective": str(objective),
            "metric": objective.metric,
            "value": summary["slo_inputs"][objective.metric],
            "met": objective.met(summary["slo_inputs"][objective.metric]),
        }
        for objective in plan.slo
    ]
    broken = [o for o in slo if not o["met"]]
    plan_view = {
        "viewers": plan.viewers,
        "duration_s": plan.duration_s,
        "chaos": list(plan.chaos),
        "chaos_starts_s": plan.chaos_starts_s,
        "chaos_ends_s": plan.chaos_ends_s,
        "experiment_region": plan.experiment_region,
        "control_region": plan.control_region,
        "monkey_interval_s": plan.monkey_interval_s,
        "latency": {
            "service": plan.latency_service,
            "delay_ms": plan.latency_ms,
            "fraction": plan.latency_fraction,
            "error": plan.latency_error,
        },
        "slo": [str(o) for o in plan.slo],
    }
    report: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "platform": str(target.settings.data_dir),
        "plan": plan_view,
        "verdict": "SLO broken: " + "; ".join(o["objective"] for o in broken)
        if broken
        else "passed",
        "slo": slo,
        "summary": summary,
        "gateway_counters": counters.totals(),
        "gateway_scrapes": counters.scrapes,
        "autoscaler": autoscaler.actions(),
        "events": snapshot["events"],
        "viewer_problems": {v.index: v.problems[:20] for v in viewers if v.problems},
        "starts": snapshot["starts"],
        "sessions": snapshot["sessions"],
    }
    json_path, html_path = write_report(plan.out_dir, report)
    return report, json_path, html_path


async def _show_progress(
    plan: GamedayPlan,
    recorder: Recorder,
    progress: Progress,
    announce: Progress,
    done: asyncio.Event,
) -> None:
    shown = 0
    while not done.is_set():
        for event in recorder.events[shown:]:
            announce(f"[{event.at:6.1f} s] {event.kind}: {event.detail}")
        shown = len(recorder.events)
        progress(status_line(plan, recorder))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), 0.5)


def status_line(plan: GamedayPlan, recorder: Recorder) -> str:
    now = min(recorder.now(), plan.duration_s)
    phase = (
        "warm-up"
        if now < plan.chaos_starts_s
        else "chaos"
        if now < plan.chaos_ends_s
        else "recovery"
    )
    parts = [
        f"{now:5.0f}/{plan.duration_s:.0f} s {phase:<8}",
        f"playing {len(recorder.playing):>3}",
    ]
    for group in ("control", "experiment"):
        ok = sum(1 for s in recorder.starts if s.group == group and s.ok)
        failed = sum(1 for s in recorder.starts if s.group == group and not s.ok)
        parts.append(f"{group} starts {ok} (failed {failed})")
    return "  ".join(parts)


__all__ = ["run_gameday"]
