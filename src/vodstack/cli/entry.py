"""The `vodstack` program's entry point: a command that lives in one module loads that module
alone.

`vodstack worker` runs on transcoding hosts that need the broker and the object store only
(cli.worker). Loading the whole CLI there would import every server, database driver, the Redis
client and the plotting stack first: slower, and a host lacking what one of those needs cannot
start its worker at all. (It happened: the Redis client, imported by the production profile's
checks, needs the `async_timeout` module on Python < 3.11.3, which a sandboxed worker's Python
was.)

`vodstack serve` is the supervisor's child command: every service process of every platform
runs it, and the whole CLI (matplotlib, scipy, the job database) cost each of them about 2 s of
CPU before its own imports (docs/benchmarks.md, "Test suite: CPU"). `up`, `status` and `ingest`
are what operators and the tests run most. Every other command goes through the full CLI
(cli.main), which registers the same functions under the same names (tests/cli/test_entry.py).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

import typer

# Command name -> "module:function": commands whose module holds everything they need.
ALONE = {
    "worker": "vodstack.cli.worker:worker",
    "serve": "vodstack.cli.serve:serve",
    "up": "vodstack.cli.lifecycle:up",
    "status": "vodstack.cli.lifecycle:status",
    "ingest": "vodstack.cli.ingest:ingest",
}


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name in ALONE:
        _alone(name, sys.argv[2:])
    else:
        # Imported here: loading it is what the commands above avoid.
        from vodstack.cli.main import main as full

        full()


def command_function(name: str) -> Callable[..., Any]:
    """The function behind a command of `ALONE`, imported from its module."""
    module, attribute = ALONE[name].split(":", 1)
    function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return function


def _alone(name: str, args: list[str]) -> None:
    app = typer.Typer(add_completion=False)
    app.command(name)(command_function(name))
    app(args=args, prog_name=f"vodstack {name}")
