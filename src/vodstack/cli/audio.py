"""`vodstack audio add TITLE --language fr FILE`: a dubbed language for a published title.

The pipeline service checks the file (language tag, decodes, lasts as long as the video),
joins it to the title's latest master and queues the job of a new asset version with the
language in its audio groups (pipeline.media.added_audio); the platform must run. `--wait`
follows that job to its publish.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from vodstack.cli.jobs import ApiFeed, console, follow_job, load_cli_settings
from vodstack.cli.options import ConfigFile, DataDir
from vodstack.clients.pipeline import PipelineClient
from vodstack.config.settings import Settings
from vodstack.contracts.pipeline import JobState
from vodstack.core.errors import VodstackError
from vodstack.pipeline.media.added_audio import check_language

app = typer.Typer(help="A published title's audio languages.", no_args_is_help=True)


async def _add(
    settings: Settings, title_id: int, language: str, file: Path, name: str, wait: bool
) -> None:
    pipeline = PipelineClient.balanced(settings, "cli", timeout=600.0)
    try:
        data = await asyncio.to_thread(file.read_bytes)
        job = await pipeline.add_audio(title_id, language, data, name=name)
        console.print(f"{language} accepted; job {job.id} publishes asset {job.asset_version}")
        if wait:
            job = await follow_job(ApiFeed(pipeline), job.id)
            if job.state is not JobState.SUCCEEDED:
                raise typer.Exit(1)
            console.print(f"[green]published[/] title {title_id}, asset {job.asset_version}")
    finally:
        await pipeline.aclose()


@app.command("add")
def add(
    title_id: int = typer.Argument(..., min=1, help="The title's id."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    language: str = typer.Option(..., "--language", help="BCP 47 tag: en, fr, pt-BR."),
    name: str = typer.Option("", "--name", help="Shown in the player's menu."),
    wait: bool = typer.Option(False, "--wait", help="Follow the job until it ends."),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Add the LANGUAGE audio of FILE to the title: a new asset version."""
    try:
        check_language(language)
    except ValueError as exc:
        console.print(f"[red]error:[/] --language: {exc}")
        raise typer.Exit(2) from None
    settings = load_cli_settings(data_dir, config)
    try:
        asyncio.run(_add(settings, title_id, language, file, name, wait))
    except VodstackError as exc:
        console.print(f"[red]refused:[/] {exc}")
        raise typer.Exit(1) from None
