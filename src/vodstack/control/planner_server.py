"""The fill planner process: waits for the fill window (or `vodstack cache fill --now`), runs it.

Supervised like every service (`/healthz` on its port, `control/health_endpoint.py`). Between
windows it sleeps, checking once a second for the trigger file `run/fill-now`; a window that
fails is logged and reported, and the next one runs on schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta

import httpx

from vodstack.config import Settings
from vodstack.config.settings import FillPlanSettings
from vodstack.control.health_endpoint import health_app, serve_health
from vodstack.control.live_planner import TRIGGER_NAME, LivePlanner, read_report

log = logging.getLogger(__name__)
SERVICE = "planner"


def next_window(now: float, fill: FillPlanSettings) -> float:
    """The next start of the daily window (`window_start_hour` UTC) after `now`."""
    moment = datetime.fromtimestamp(now, UTC)
    start = moment.replace(hour=fill.window_start_hour, minute=0, second=0, microsecond=0)
    if start <= moment:
        start += timedelta(days=1)
    return start.timestamp()


async def plan_forever(settings: Settings, planner: LivePlanner) -> None:
    trigger = planner.run_dir / TRIGGER_NAME
    due = next_window(time.time(), settings.cdn.fill_plan)
    while True:
        if trigger.exists() or time.time() >= due:
            trigger.unlink(missing_ok=True)
            due = next_window(time.time(), settings.cdn.fill_plan)
            try:
                report = await planner.run_window()
                log.info("fill window %s: %d requests learnt", report.state, report.requests_learnt)
            except Exception:  # a bad window must not end the planner; the next one may work
                log.exception("fill window failed")
        await asyncio.sleep(1.0)


def render_metrics(report: dict[str, object] | None) -> str:
    """The last window's plan per edge and region, in Prometheus text."""
    lines = [
        "# HELP vodstack_fill_planned_objects Objects the last fill plan gave each edge",
        "# TYPE vodstack_fill_planned_objects gauge",
        "# HELP vodstack_fill_filled_objects Planned objects the edge holds after the window",
        "# TYPE vodstack_fill_filled_objects gauge",
        "# HELP vodstack_fill_predicted_offload Byte hit ratio the last plan predicts",
        "# TYPE vodstack_fill_predicted_offload gauge",
    ]
    regions = (report or {}).get("regions")
    for region, progress in (regions or {}).items() if isinstance(regions, dict) else []:
        offload = float(progress.get("predicted_offload", 0.0))
        lines.append(f'vodstack_fill_predicted_offload{{region="{region}"}} {offload}')
        for edge, figures in (progress.get("edges") or {}).items():
            label = f'{{region="{region}",edge="{edge}"}}'
            planned = figures.get("planned_objects", 0)
            held = figures.get("filled_objects", 0) + figures.get("held_before", 0)
            lines.append(f"vodstack_fill_planned_objects{label} {planned}")
            lines.append(f"vodstack_fill_filled_objects{label} {held}")
    return "\n".join(lines) + "\n"


def _figures(settings: Settings) -> dict[str, object]:
    report = read_report(settings.data_dir / "run") or {}
    return {"window": report.get("state", "idle")}


async def serve_planner(settings: Settings, port: int) -> None:
    async with httpx.AsyncClient() as client:
        planner = LivePlanner(settings, client)
        task = asyncio.create_task(plan_forever(settings, planner), name="fill planner")
        app = health_app(
            SERVICE,
            lambda: _figures(settings),
            lambda: render_metrics(read_report(planner.run_dir)),
            {"/plan": lambda: read_report(planner.run_dir) or {"state": "idle"}},
        )
        try:
            await serve_health(app, settings.host, port)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def run_planner(settings: Settings, name: str = SERVICE) -> None:
    """Serve until stopped (the supervisor's RUNNER entry point)."""
    asyncio.run(serve_planner(settings, settings.port(SERVICE)))
