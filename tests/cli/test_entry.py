"""`vodstack worker` starts without the platform's CLI: a worker host needs the broker and the
object store only, not the Redis client, the database drivers or the plotting stack. `serve`
(every service process) and every other command load their own module only.
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


def test_a_command_group_runs_alone_with_its_subcommands() -> None:
    output, loaded = _run("cache", "--help")
    assert "generate" in output
    assert "matplotlib" not in loaded


def test_every_command_runs_alone_as_the_full_cli_registers_it() -> None:
    # Run alone, a command must be the one of the full CLI: the same function or group under
    # the same name, so neither its options nor its help can drift apart; and none is missing.
    full = main_cli.app
    registered: dict[str, object] = {}
    for command in full.registered_commands:
        assert command.callback is not None
        registered[command.name or command.callback.__name__] = command.callback
    registered |= {str(group.name): group.typer_instance for group in full.registered_groups}
    assert set(typer.main.get_group(full).commands) == set(entry.COMMANDS)
    for name in entry.COMMANDS:
        assert entry.command_target(name) is registered[name], name
