"""The `vodstack` program's entry point: a command loads its own module, not the whole CLI.

`vodstack worker` runs on transcoding hosts that need the broker and the object store only
(cli.worker). Loading the whole CLI there would import every server, database driver, the Redis
client and the plotting stack first: slower, and a host lacking what one of those needs cannot
start its worker at all. (It happened: the Redis client, imported by the production profile's
checks, needs the `async_timeout` module on Python < 3.11.3, which a sandboxed worker's Python
was.)

`vodstack serve` is the supervisor's child command: every service process of every platform
runs it, and the whole CLI (matplotlib, scipy, the job database) cost each of them about 2 s of
CPU before its own imports (docs/benchmarks.md, "Test suite: CPU"). Every command is cheaper
alone than the whole CLI. `vodstack`, `--help` and a name not below go through the full CLI
(cli.main), which registers the same objects under the same names (tests/cli/test_entry.py).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

# Command name -> "module:attribute": a function (a command) or a Typer app (a command group).
COMMANDS = {
    "up": "vodstack.cli.lifecycle:up",
    "status": "vodstack.cli.lifecycle:status",
    "serve": "vodstack.cli.serve:serve",
    "ingest": "vodstack.cli.ingest:ingest",
    "play": "vodstack.cli.play:play",
    "demo-content": "vodstack.cli.demo_content:demo_content",
    "scale": "vodstack.cli.scale:scale",
    "worker": "vodstack.cli.worker:worker",
    "encryption": "vodstack.cli.encryption:encryption",
    "gameday": "vodstack.cli.gameday:gameday",
    "abr": "vodstack.cli.abr:app",
    "cache": "vodstack.cli.cache:app",
    "jobs": "vodstack.cli.jobs:app",
    "ladder": "vodstack.cli.ladder:app",
    "history": "vodstack.cli.history:app",
    "recs": "vodstack.cli.recs:app",
    "chaos": "vodstack.cli.chaos:app",
    "subtitles": "vodstack.cli.subtitles:app",
    "audio": "vodstack.cli.audio:app",
}


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name in COMMANDS:
        _alone(name, sys.argv[2:])
    else:
        # Imported here: loading it is what the commands above avoid.
        from vodstack.cli.main import main as full

        full()


def command_target(name: str) -> Any:
    """The function or Typer app behind command `name`, imported from its own module."""
    module, attribute = COMMANDS[name].split(":", 1)
    return getattr(importlib.import_module(module), attribute)


def _alone(name: str, args: list[str]) -> None:
    target = command_target(name)
    app = typer.Typer(add_completion=False)
    if isinstance(target, typer.Typer):
        app.add_typer(target, name=name)
        app(args=[name, *args], prog_name="vodstack")
    else:
        app.command(name)(target)
        app(args=args, prog_name=f"vodstack {name}")
