"""`vodstack chaos`: break a running platform on purpose (monkey, latency, kong) and `stop`.

Opt-in (`chaos.enabled`), for the platform's owner only, audit-logged: supervisor.chaos.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from vodstack.cli.options import ConfigFile, DataDir
from vodstack.config import Settings, load_settings
from vodstack.core.chaos import LatencyRule
from vodstack.supervisor import chaos
from vodstack.supervisor.chaos import ChaosRefused, ChaosTarget

app = typer.Typer(help="Chaos experiments on a running platform (opt-in; docs/chaos.md).")
console = Console()


def _target(data_dir: Path | None, config: Path | None, *, experiment: bool = True) -> ChaosTarget:
    settings: Settings = load_settings(config, **({"data_dir": data_dir} if data_dir else {}))
    try:
        return chaos.open_target(settings, experiment=experiment)
    except ChaosRefused as exc:
        _refuse(exc)


def _refuse(exc: Exception) -> NoReturn:
    console.print(f"[red]error:[/] {exc}")
    raise typer.Exit(2)


@app.command()
def monkey(
    services: list[str] = typer.Option(..., "--service", "-s", help="Service to hit (repeat)."),
    interval: float = typer.Option(15.0, "--interval", min=0.1, help="Seconds between kills."),
    kills: int = typer.Option(0, "--kills", min=0, help="Stop after this many kills (0: never)."),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """SIGKILL a random instance of the chosen services every INTERVAL, until `chaos stop`."""
    target = _target(data_dir, config)
    try:
        chaos.check_services(target, services)
    except ChaosRefused as exc:
        _refuse(exc)
    started, done = time.time(), 0
    chaos.audit(target, "monkey", services=services, interval=interval, kills=kills)
    while not chaos.stopped_since(target, started) and (kills == 0 or done < kills):
        victim = chaos.monkey_round(target, services)
        if victim is not None:
            done += 1
            console.print(f"chaos monkey: killed {victim.name} (pid {victim.pid})")
        _pause(target, started, interval)
    console.print(f"chaos monkey: stopped after {done} kill(s)")


def _pause(target: ChaosTarget, started: float, seconds: float) -> None:
    """Sleep, waking early when `chaos stop` runs."""
    until = time.monotonic() + seconds
    while time.monotonic() < until and not chaos.stopped_since(target, started):
        time.sleep(min(0.2, max(0.0, until - time.monotonic())))


@app.command()
def latency(
    service: str = typer.Option(..., "--service", "-s", help="Service (or the gateway)."),
    route: str | None = typer.Option(None, "--route", help="Only paths starting with this."),
    fraction: float = typer.Option(1.0, "--fraction", help="Share of responses hit (0-1]."),
    delay_ms: int = typer.Option(0, "--delay-ms", help="Delay added before answering."),
    error: int | None = typer.Option(None, "--error", help="Answer this status instead."),
    group: str | None = typer.Option(
        None, "--group", help="Only requests marked as this experiment group's (gameday)."
    ),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Delay and/or fail a share of one service's (or route's) responses until `chaos stop`."""
    target = _target(data_dir, config)
    try:
        rule = LatencyRule(
            service=service,
            route=route,
            fraction=fraction,
            delay_ms=delay_ms,
            error_status=error,
            group=group,
        )
        chaos.set_latency(target, rule)
    except ValidationError as exc:
        _refuse(ValueError(f"bad rule: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}"))
    except ChaosRefused as exc:
        _refuse(exc)
    what = route or "every route"
    console.print(f"chaos latency on {service} ({what}): {fraction:.0%} of responses hit")


@app.command()
def kong(
    region: str = typer.Option(..., "--region", help="Region to take down, e.g. eu."),
    force: bool = typer.Option(False, "--force", help="Even if a service has no other region."),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Take a whole region down (its edges and every instance placed in it) until `chaos stop`."""
    target = _target(data_dir, config)
    try:
        names = chaos.kong(target, region, force=force)
    except ChaosRefused as exc:
        _refuse(exc)
    console.print(f"chaos kong: region {region} down ({', '.join(names) or 'nothing placed'})")


@app.command()
def stop(data_dir: Path | None = DataDir, config: Path | None = ConfigFile) -> None:
    """The kill switch: end every experiment (held-down instances start, rules go, monkeys stop)."""
    target = _target(data_dir, config, experiment=False)
    chaos.stop_all_chaos(target)
    console.print("chaos stopped")
