"""`vodstack cache fill --now` and `vodstack cache plan` without `--log`: the live fill planner.

The planner runs inside `vodstack up` (control/planner_server.py); these commands talk to it
through its run directory: a trigger file to start a window now, and the report it writes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from vodstack.config import load_settings
from vodstack.control.live_planner import read_report, request_window


def run_dir(data_dir: Path | None) -> Path:
    settings = load_settings(data_dir=data_dir) if data_dir else load_settings()
    return settings.data_dir / "run"


def fill_now(data_dir: Path | None, wait_s: float) -> None:
    """Start a fill window now; with `wait_s`, follow it until it ends."""
    where = run_dir(data_dir)
    before = read_report(where) or {}
    request_window(where)
    typer.echo(f"asked the fill planner for a window now ({where})")
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        report = read_report(where) or {}
        finished = report.get("finished_at", 0) != before.get("finished_at", 0)
        if report.get("state") in ("done", "nothing-learnt") and finished:
            show_report(report, as_json=False)
            return
        time.sleep(1.0)
    if wait_s:
        raise typer.Exit(code=1)


def show_report(report: dict[str, object] | None, *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report or {"state": "idle"}, indent=2))
        return
    if not report:
        typer.echo("no fill window has run yet (the planner runs inside `vodstack up`)")
        return
    sources = report.get("sources")
    learnt_from = ", ".join(f"{edge} {how}" for edge, how in sources.items()) if isinstance(
        sources, dict) else "-"  # fmt: skip
    table = Table(title=f"fill window: {report.get('state')} "
                  f"({report.get('requests_learnt', 0):,} requests learnt: {learnt_from}; "
                  f"{report.get('plays_learnt', 0):,} plays, popularity "
                  f"{report.get('popularity', 'off')}; {report.get('listings', 0):,} origin "
                  f"listings, {report.get('listings_failed', 0):,} failed)")  # fmt: skip
    for column in ("region", "edge", "planned", "unrequested", "planned B", "held before",
                   "to fill", "filled", "filled B", "failed", "deferred"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("region", "edge") else "right")
    regions = report.get("regions")
    for region, progress in regions.items() if isinstance(regions, dict) else []:
        for edge, p in progress.get("edges", {}).items():
            table.add_row(region, edge, *(f"{p.get(key, 0):,}" for key in (
                "planned_objects", "unrequested", "planned_bytes", "held_before", "to_fill",
                "filled_objects", "filled_bytes", "failed", "deferred")))  # fmt: skip
        offload = progress.get("predicted_offload", 0.0)
        table.add_row(region, "predicted offload", *[""] * 8, f"{offload:.1%}")
    Console(width=160).print(table)
