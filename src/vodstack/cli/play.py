"""`vodstack play TITLE`: play a title through the gateway and edges, headless, and report QoE."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import typer
from rich.console import Console

from vodstack.cli.options import DataDir
from vodstack.config import load_settings
from vodstack.player.abr import registry
from vodstack.player.headless.failover import PlaybackFailed
from vodstack.player.headless.gateway import GatewayError, GatewaySession
from vodstack.player.headless.player import HeadlessPlayer, PlayOptions
from vodstack.player.headless.playlists import PlaylistError
from vodstack.player.headless.report import PlaybackReport, summary_table
from vodstack.player.traces import TraceError, read_trace

console = Console()
errors = Console(stderr=True)


def _demo_viewer(data_dir: Path) -> tuple[str, str]:
    path = data_dir / "secrets" / "demo_logins.json"
    if not path.is_file():
        raise typer.BadParameter(
            f"no demo logins at {path}; run `vodstack up` first or pass --email and --password"
        )
    logins = json.loads(path.read_text())
    return str(logins["viewer_email"]), str(logins["viewer_password"])


def _options(
    region: str | None, abr: str, trace_file: Path | None, speed: float | None, from_start: bool
) -> PlayOptions:
    if abr not in registry.names():
        raise typer.BadParameter(
            f"unknown ABR {abr!r}; choose one of {', '.join(registry.names())}"
        )
    try:
        trace = read_trace(trace_file) if trace_file is not None else None
    except (TraceError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    return PlayOptions(abr=abr, region=region, trace=trace, speed=speed, resume=not from_start)


def _play(session: GatewaySession, title: str | None, options: PlayOptions) -> PlaybackReport:
    title_id = session.first_available() if title is None else session.find_title(title)
    player = HeadlessPlayer(session, options)
    try:
        return player.play(title_id)
    finally:
        player.close()


def play(
    title: str | None = typer.Argument(None, help="Title id or name."),
    first_available: bool = typer.Option(
        False, "--first-available", help="Play the newest playable title instead of TITLE."
    ),
    region: str | None = typer.Option(None, "--region", help="Viewer region (local mode)."),
    abr: str = typer.Option(registry.DEFAULT_ALGORITHM, "--abr", help="ABR algorithm."),
    bandwidth_trace: Path | None = typer.Option(
        None, "--bandwidth-trace", help="Throughput trace (`time_s Mbps` lines) to play over."
    ),
    speed: float | None = typer.Option(
        None, "--speed", min=0.01, help="Pace playback at SPEED x real time (default: no waiting)."
    ),
    from_start: bool = typer.Option(False, "--from-start", help="Ignore the saved position."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    email: str | None = typer.Option(None, "--email", help="Viewer login (default: demo viewer)."),
    password: str | None = typer.Option(None, "--password"),
    profile: str | None = typer.Option(None, "--profile", help="Profile name (default: first)."),
    gateway: str | None = typer.Option(None, "--gateway", help="Gateway URL (default: local)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Play a title like a browser does: manifest, ABR-chosen segments, failover, heartbeats."""
    if (title is None) == (not first_available):
        raise typer.BadParameter("give TITLE or --first-available (one of them)")
    settings = load_settings(**({"data_dir": data_dir} if data_dir else {}))
    if email is None or password is None:
        email, password = _demo_viewer(settings.data_dir)
    options = _options(region, abr, bandwidth_trace, speed, from_start)
    with GatewaySession(gateway or settings.service_url("gateway")) as session:
        try:
            session.log_in(email, password)
            session.choose_profile(profile)
            report = _play(session, title, options)
        except (GatewayError, PlaybackFailed, PlaylistError, httpx.HTTPError) as exc:
            errors.print(f"[red]playback failed:[/red] {exc}")
            raise typer.Exit(1) from exc
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        console.print(summary_table(report))
