"""`vodstack subtitles add TITLE --lang fr FILE` and `vodstack subtitles list TITLE`.

The same path as the admin page: the catalog says how long the title is and which version it
plays, the pipeline service validates, sanitises and stores the track (the platform must run).
A refused file prints every problem with its line, and the command exits 1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from vodstack.cli.jobs import console, load_cli_settings
from vodstack.cli.options import ConfigFile, DataDir
from vodstack.clients.catalog import CatalogClient
from vodstack.clients.pipeline import PipelineClient
from vodstack.config.settings import Settings
from vodstack.contracts.common import Maturity
from vodstack.contracts.pipeline import SubtitleTrackInfo
from vodstack.core.errors import UpstreamError, VodstackError
from vodstack.delivery.languages import LANGUAGE

app = typer.Typer(help="A title's subtitle languages (SRT or WebVTT).", no_args_is_help=True)


async def _add(
    settings: Settings, title_id: int, lang: str, data: bytes, name: str | None
) -> SubtitleTrackInfo:
    catalog = CatalogClient.of(settings, "cli", timeout=settings.upstream_timeout_s)
    pipeline = PipelineClient.balanced(settings, "cli", timeout=settings.upstream_timeout_s)
    try:
        title = await catalog.title(title_id, Maturity.ADULT, unpublished=True)
        return await pipeline.put_subtitles(
            title_id,
            lang,
            data,
            name=name,
            duration_s=float(title.duration_s) if title.duration_s else None,
            asset_version=title.asset_version,
        )
    finally:
        await catalog.aclose()
        await pipeline.aclose()


@app.command("add")
def add(
    title_id: int = typer.Argument(..., min=1, help="The title's id."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    lang: str = typer.Option(..., "--lang", help="BCP 47 language tag: en, fr, pt-BR."),
    name: str | None = typer.Option(None, "--name", help="Shown in the player's menu."),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Add (or replace) the title's LANG subtitles from FILE."""
    if not LANGUAGE.match(lang):
        console.print(f"[red]error:[/] --lang {lang!r} is not a language tag such as en or pt-BR")
        raise typer.Exit(2)
    settings = load_cli_settings(data_dir, config)
    try:
        track = asyncio.run(_add(settings, title_id, lang, file.read_bytes(), name))
    except UpstreamError as exc:
        console.print(f"[red]refused:[/] {exc}")
        for detail in exc.details:
            console.print(f"  line {detail.get('line')}: {detail.get('message')}")
        raise typer.Exit(1) from None
    except VodstackError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"{track.lang} ({track.name}): {track.cues} cues, stored as {track.vtt}")


@app.command("list")
def list_tracks(
    title_id: int = typer.Argument(..., min=1),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """The title's subtitle languages."""
    settings = load_cli_settings(data_dir, config)

    async def run() -> list[SubtitleTrackInfo]:
        pipeline = PipelineClient.balanced(settings, "cli", timeout=settings.upstream_timeout_s)
        try:
            return await pipeline.subtitles(title_id)
        finally:
            await pipeline.aclose()

    try:
        tracks = asyncio.run(run())
    except VodstackError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    for track in tracks:
        console.print(f"{track.lang}\t{track.name}\t{track.vtt}")
