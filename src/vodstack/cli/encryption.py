"""`vodstack encryption TITLE --on/--off`: a title plays encrypted (licences) or in the clear.

Encryption is per title (pipeline.jobs.title_settings). Changing it for a published title
re-encodes its latest master as a new asset version, with a new content key or none; the
current version plays until the new one is published whole. The platform must run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from vodstack.cli.jobs import console, load_cli_settings
from vodstack.cli.options import ConfigFile, DataDir
from vodstack.clients.pipeline import PipelineClient
from vodstack.config.settings import Settings
from vodstack.contracts.pipeline import TitleEncryptionChange
from vodstack.core.errors import VodstackError


async def _set(settings: Settings, title_id: int, on: bool) -> TitleEncryptionChange:
    pipeline = PipelineClient.balanced(settings, "cli", timeout=settings.upstream_timeout_s)
    try:
        return await pipeline.set_encryption(title_id, on)
    finally:
        await pipeline.aclose()


def encryption(
    title_id: int = typer.Argument(..., min=1, help="The title's id."),
    on: bool = typer.Option(..., "--on/--off", help="Encrypted (CENC, licences) or clear."),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Set the title's encryption; a change publishes a new asset version."""
    settings = load_cli_settings(data_dir, config)
    try:
        change = asyncio.run(_set(settings, title_id, on))
    except VodstackError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    state = "encrypted" if change.encrypt else "clear"
    if change.job_id is None:
        console.print(f"title {title_id}: {state} (nothing to re-encode)")
    else:
        console.print(f"title {title_id}: {state} from the version job {change.job_id} publishes")
