"""`vodstack demo-content`: synthesize the demo catalog's source media with ffmpeg."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from vodstack.cli.options import DataDir
from vodstack.config import load_settings
from vodstack.pipeline.media import DEMO_SPECS, DemoSpec, MediaError, make_demo_sources

console = Console()

DEMO_MEDIA_DIR = "demo-media"


def demo_content(
    data_dir: Path | None = DataDir,
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default DATA_DIR/demo-media)."
    ),
    width: int = typer.Option(1280, help="Frame width of the masters."),
    height: int = typer.Option(720, help="Frame height of the masters."),
) -> None:
    """Make one master per demo title (30-60 s, tone + burned-in title); existing ones are kept."""
    overrides: dict[str, object] = {} if data_dir is None else {"data_dir": data_dir}
    target = out or load_settings(None, **overrides).data_dir / DEMO_MEDIA_DIR
    console.print(f"making {len(DEMO_SPECS)} demo masters in {target}")
    started = time.monotonic()

    def report(spec: DemoSpec, path: Path) -> None:
        console.print(f"  [green]ok[/] {spec.title:<18} {spec.pattern.value:<12} {path.name}")

    try:
        make_demo_sources(target, DEMO_SPECS, width=width, height=height, on_done=report)
    except MediaError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"done in {time.monotonic() - started:.0f} s")
