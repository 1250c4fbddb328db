"""`vodstack worker` starts without the platform's CLI: a worker host needs the broker and the
object store only, not the Redis client, the database drivers or the plotting stack."""

from __future__ import annotations

import subprocess
import sys

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
