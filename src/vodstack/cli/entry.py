"""The `vodstack` program's entry point: a worker host loads the worker command alone.

`vodstack worker` runs on transcoding hosts that need the broker and the object store only
(cli.worker). Loading the whole CLI there would import every server, database driver, the Redis
client and the plotting stack first: slower, and a host lacking what one of those needs cannot
start its worker at all. (It happened: the Redis client, imported by the production profile's
checks, needs the `async_timeout` module on Python < 3.11.3, which a sandboxed worker's Python
was.) Every other command goes through the full CLI (cli.main).
"""

from __future__ import annotations

import sys

import typer

WORKER = "worker"


def main() -> None:
    if sys.argv[1:2] == [WORKER]:
        _worker(sys.argv[2:])
    else:
        # Imported here: loading it is what the worker's path avoids.
        from vodstack.cli.main import main as full

        full()


def _worker(args: list[str]) -> None:
    from vodstack.cli.worker import worker

    app = typer.Typer(add_completion=False)
    app.command(WORKER)(worker)
    typer.main.get_command(app).main(args=args, prog_name=f"vodstack {WORKER}")
