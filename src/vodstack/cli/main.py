"""`vodstack`: one entry point; each command group lives in its own module and registers here."""

from __future__ import annotations

import typer

from vodstack.cli import (
    abr,
    audio,
    cache,
    chaos,
    demo_content,
    encryption,
    gameday,
    history,
    ingest,
    jobs,
    ladder,
    lifecycle,
    play,
    recs,
    scale,
    serve,
    subtitles,
    worker,
)

app = typer.Typer(
    name="vodstack",
    help="vodstack: a Netflix-style video-on-demand platform.",
    no_args_is_help=True,
    add_completion=False,
)

# Command groups register below, one line each.
app.add_typer(abr.app, name="abr")
app.add_typer(cache.app, name="cache")
app.command()(lifecycle.up)
app.command()(lifecycle.status)
app.command()(serve.serve)
app.command()(ingest.ingest)
app.add_typer(jobs.app, name="jobs")
app.add_typer(ladder.app, name="ladder")
app.command()(play.play)
app.command("demo-content")(demo_content.demo_content)
app.add_typer(history.app, name="history")
app.add_typer(recs.app, name="recs")
app.command()(scale.scale)
app.add_typer(chaos.app, name="chaos")
app.command()(worker.worker)
app.add_typer(subtitles.app, name="subtitles")
app.add_typer(audio.app, name="audio")
app.command()(encryption.encryption)
app.command()(gameday.gameday)


def main() -> None:
    app()
