"""`vodstack ladder compare FILE`: the fixed and the per-title ladder of a file, side by side.

Runs the per-title analysis on FILE (as the pipeline's LADDER task does), encodes both ladders'
rungs on samples of it, prints each rung's measured rate and VMAF and the per-title ladder's
BD-rate against the fixed one, and draws the curves with `--png`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vodstack.config.settings import load_settings
from vodstack.pipeline.jobs.media_tasks import configured_ladder
from vodstack.pipeline.media import InvalidMedia, ProbeLimits, plan_normalization, probe
from vodstack.pipeline.media.errors import EncodeFailed
from vodstack.pipeline.media.ladder_compare import Comparison, LadderCurve, compare
from vodstack.pipeline.media.ladder_plot import plot_comparison
from vodstack.pipeline.media.per_title import analyze_per_title

app = typer.Typer(
    help="Bitrate ladders: compare the per-title ladder of a file with the fixed one."
)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


@app.command("compare")
def compare_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A video file.")],
    png: Annotated[Path | None, typer.Option("--png", help="Draw the curves to this PNG.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    windows: Annotated[int, typer.Option(min=1, max=20, help="Sample windows measured.")] = 4,
) -> None:
    """Print both ladders, their rate-quality points and the per-title BD-rate against fixed."""
    fixed = configured_ladder(load_settings())
    try:
        info = probe(file, ProbeLimits())
        norm = plan_normalization(info)
        analysis = analyze_per_title(file, info, norm, fixed=fixed)
        result = compare(file, info, norm, fixed, analysis, windows=windows)
    except InvalidMedia as exc:
        raise _fail(f"{file}: {exc.message}") from exc
    except EncodeFailed as exc:
        raise _fail(f"{file}: ffmpeg failed: {exc.message}") from exc
    if png is not None:
        plot_comparison(result, png, title=file.name)
    if as_json:
        typer.echo(json.dumps({"file": str(file), **result.to_dict()}, indent=2))
        return
    _print(result, png)


def _print(result: Comparison, png: Path | None) -> None:
    console = Console()
    for curve in (result.fixed, result.per_title):
        console.print(_table(curve))
    bd = result.bd
    if bd.percent is None:
        console.print(f"BD-rate: undefined ({bd.reason})")
    else:
        saving = "fewer" if bd.percent < 0 else "more"
        note = f"; {bd.reason}" if bd.reason else ""
        console.print(
            f"BD-rate of per-title against fixed: {bd.percent:+.1f} % "
            f"({abs(bd.percent):.1f} % {saving} bits at equal VMAF, "
            f"over VMAF {bd.vmaf_low:.1f}-{bd.vmaf_high:.1f}{note})"
        )
    console.print(
        f"VMAF at {result.display[0]}x{result.display[1]} on {result.sampled_s:g} s of samples"
    )
    if png is not None:
        console.print(f"curves: {png}")


def _table(curve: LadderCurve) -> Table:
    table = Table(title=f"{curve.label} ladder")
    for column in ("rung", "size", "target kbit/s", "kbit/s", "VMAF"):
        table.add_column(column, justify="left" if column == "rung" else "right")
    for rendition, point in zip(curve.ladder.video, curve.points, strict=True):
        table.add_row(
            rendition.name,
            f"{rendition.width}x{rendition.height}",
            str(rendition.rung.bitrate_kbps),
            f"{point.kbps:.0f}",
            f"{point.vmaf:.1f}",
        )
    return table
