"""`vodstack history`: operate the history service (online resharding)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console

from vodstack.cli.jobs import load_cli_settings
from vodstack.cli.options import ConfigFile, DataDir
from vodstack.clients.history import HistoryClient
from vodstack.config.settings import Settings
from vodstack.contracts.history import ReshardPhase, ReshardStatus
from vodstack.core.errors import VodstackError

app = typer.Typer(help="The history service: online resharding.", no_args_is_help=True)
console = Console()


@app.callback()
def history() -> None:
    """The history service: online resharding."""


async def _reshard(settings: Settings, shards: int, poll_s: float) -> ReshardStatus:
    client = HistoryClient.of(settings, "cli", timeout=30.0)
    try:
        status = await client.reshard(shards)
        console.print(f"resharding {status.from_shards} -> {status.to_shards} shards ...")
        while status.phase is ReshardPhase.COPYING:
            await asyncio.sleep(poll_s)
            status = await client.reshard_status()
        return status
    finally:
        await client.aclose()


@app.command()
def reshard(
    shards: int = typer.Option(..., "--shards", min=1, max=256, help="The new shard count."),
    data_dir: Path | None = DataDir,
    config: Path | None = ConfigFile,
) -> None:
    """Move history onto SHARDS shards while players keep writing (copy, dual write, verify,
    cut over). Needs the platform running (`vodstack up`)."""
    settings = load_cli_settings(data_dir, config)
    try:
        status = asyncio.run(_reshard(settings, shards, poll_s=0.5))
    except VodstackError as exc:
        console.print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from None
    if status.phase is not ReshardPhase.DONE:
        console.print(f"[red]reshard failed:[/] {status.message}")
        raise typer.Exit(1)
    console.print(f"[green]done:[/] {status.message} (copied {status.copied} rows)")
