"""`vodstack play TITLE`: play a title through the gateway and edges, headless, and report QoE;
or, with `--print-url`, hand its stream URL to another player and keep the session alive."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

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
from vodstack.player.headless.progress import Progress, progress_line
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


def _show_progress(progress: Progress) -> None:
    # On a terminal the line is rewritten in place; in a log, one line per segment.
    line = progress_line(progress)
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[K{line}")
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _pace(speed: float | None, fast: bool) -> float | None:
    if fast and speed is not None:
        raise typer.BadParameter("give --fast or --speed, not both")
    return None if fast else (speed or 1.0)


def _options(
    region: str | None,
    abr: str | None,
    trace_file: Path | None,
    speed: float | None,
    from_start: bool,
    progress: Callable[[Progress], None] | None,
) -> PlayOptions:
    if abr is not None and abr not in registry.names():
        raise typer.BadParameter(
            f"unknown ABR {abr!r}; choose one of {', '.join(registry.names())}"
        )
    try:
        trace = read_trace(trace_file) if trace_file is not None else None
    except (TraceError, OSError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    return PlayOptions(
        abr=abr,
        region=region,
        trace=trace,
        speed=speed,
        resume=not from_start,
        on_progress=progress,
        # A terminal's line moves every second; a log gets one line per segment.
        progress_ticks=progress is not None and sys.stderr.isatty(),
    )


def _hold(session: GatewaySession, title: str | None, region: str | None, dash: bool) -> None:
    """Start a session, print its stream URL, heartbeat until Ctrl-C or SIGTERM, then stop it
    (which revokes the URL at the edges)."""
    title_id = session.first_available() if title is None else session.find_title(title)
    start = session.start(title_id, region)
    done = threading.Event()

    def finish(_signum: int, _frame: FrameType | None) -> None:
        done.set()

    previous = signal.signal(signal.SIGTERM, finish)
    try:
        typer.echo(start.dash_stream_url if dash else start.hls_stream_url)
        sys.stdout.flush()
        errors.print(
            f"Holding play session {start.play_session_id} of “{start.title_name}” open "
            f"(heartbeat every {start.heartbeat_interval_s:.0f} s); Ctrl-C ends it and the URL."
        )
        while not done.wait(start.heartbeat_interval_s):
            session.heartbeat(start.play_session_id, 0.0, None)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        session.stop(start.play_session_id, 0.0, False, retry=False)


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
    abr: str | None = typer.Option(
        None,
        "--abr",
        help="ABR algorithm; default: the platform's choice (an A/B experiment's cell), "
        f"else {registry.DEFAULT_ALGORITHM}.",
    ),
    bandwidth_trace: Path | None = typer.Option(
        None, "--bandwidth-trace", help="Throughput trace (`time_s Mbps` lines) to play over."
    ),
    speed: float | None = typer.Option(
        None, "--speed", min=0.01, help="Pace playback at SPEED x real time (default: 1)."
    ),
    fast: bool = typer.Option(
        False, "--fast", help="Never wait for the clock: simulated time (a title in seconds)."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No live progress line on stderr."),
    print_url: bool = typer.Option(
        False,
        "--print-url",
        help="Print a stream URL for any player (ffmpeg, VLC, GStreamer, Shaka) instead of "
        "playing, and keep its session alive until Ctrl-C.",
    ),
    dash: bool = typer.Option(False, "--dash", help="With --print-url: the DASH MPD, not HLS."),
    from_start: bool = typer.Option(False, "--from-start", help="Ignore the saved position."),
    as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
    email: str | None = typer.Option(None, "--email", help="Viewer login (default: demo viewer)."),
    password: str | None = typer.Option(None, "--password"),
    profile: str | None = typer.Option(None, "--profile", help="Profile name (default: first)."),
    gateway: str | None = typer.Option(None, "--gateway", help="Gateway URL (default: local)."),
    data_dir: Path | None = DataDir,
) -> None:
    """Play a title like a browser does, in real time: manifest, ABR-chosen segments, failover,
    heartbeats, a live progress line and a summary."""
    if (title is None) == (not first_available):
        raise typer.BadParameter("give TITLE or --first-available (one of them)")
    settings = load_settings(**({"data_dir": data_dir} if data_dir else {}))
    if email is None or password is None:
        email, password = _demo_viewer(settings.data_dir)
    progress = None if quiet else _show_progress
    options = _options(region, abr, bandwidth_trace, _pace(speed, fast), from_start, progress)
    with GatewaySession(gateway or settings.service_url("gateway")) as session:
        try:
            session.log_in(email, password)
            session.choose_profile(profile)
            if print_url:
                _hold(session, title, region, dash)
                return
            report = _play(session, title, options)
        except (GatewayError, PlaybackFailed, PlaylistError, httpx.HTTPError) as exc:
            errors.print(f"[red]playback failed:[/red] {exc}")
            raise typer.Exit(1) from exc
        finally:
            if progress is not None and sys.stderr.isatty():
                sys.stderr.write("\n")
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        console.print(summary_table(report))
