"""`vodstack worker` starts without the platform's CLI: a worker host needs the broker and the
object store only, not the Redis client, the database drivers or the plotting stack. `serve`
(every service process) and the other commands of `cli.entry.ALONE` load their own module only.
"""

from __future__ import annotations

import subprocess
import sys

import typer

from vodstack.cli import entry
from vodstack.cli import main as main_cli

_PROBE = """
import sys
sys.argv = ["vodstack", *sys.argv[1:]]
from vodstack.cli.entry import main
try:
    main()
except SystemExit:
    pass
print(" ".join(sorted({m.split(".")[0] for m in sys.modules} & {"redis", "matplotlib"})))
"""


def _run(*args: str) -> tuple[str, set[str]]:
    """The command's output, and which of Redis and matplotlib it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    *output, loaded = done.stdout.splitlines()
    return "\n".join(output), set(loaded.split())


def test_the_worker_command_loads_neither_redis_nor_the_plotting_stack() -> None:
    output, loaded = _run("worker", "--help")
    assert "--scratch" in output
    assert loaded == set()


def test_every_other_command_is_the_full_cli() -> None:
    output, _ = _run("--help")
    assert all(command in output for command in ("up", "status", "worker", "ingest"))


def test_the_serve_command_loads_the_service_without_the_plotting_stack() -> None:
    # Every service process of a platform runs `vodstack serve`: matplotlib and scipy were
    # about 2 s of CPU in each before it loaded its own module.
    output, loaded = _run("serve", "--help")
    assert "--settings-file" in output
    assert "matplotlib" not in loaded


def test_a_command_run_alone_is_the_one_the_full_cli_registers() -> None:
    # Run alone, a command must behave as in the full CLI: the same function under the same
    # name, so neither its options nor its help can drift apart.
    full = typer.main.get_group(main_cli.app)
    for name in entry.ALONE:
        callback = full.commands[name].callback
        assert getattr(callback, "__wrapped__", None) is entry.command_function(name)
