"""Telling a starved process from a frozen one by its CPU time in /proc (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.support.waiting import eventually
from vodstack.core.processes import child_dies_with_us
from vodstack.supervisor.cpu_time import cpu_ticks

SPIN = "while True: pass"


def test_a_running_process_accumulates_ticks_a_stopped_or_killed_one_reads_as_not_working() -> None:
    process = subprocess.Popen([sys.executable, "-c", SPIN], preexec_fn=child_dies_with_us())
    try:
        first = cpu_ticks(process.pid)
        assert first is not None
        eventually(
            lambda: (cpu_ticks(process.pid) or 0) > first,
            timeout_s=30,
            message="a spinning process used no CPU",
        )
        os.kill(process.pid, signal.SIGSTOP)
        eventually(
            lambda: cpu_ticks(process.pid) is None,
            timeout_s=10,
            message="a stopped process still reads as working",
        )
        os.kill(process.pid, signal.SIGCONT)
        eventually(lambda: cpu_ticks(process.pid) is not None, timeout_s=10, message="resumed")
    finally:
        process.kill()  # kill -9
        process.wait(10)
    assert cpu_ticks(process.pid) is None, "a reaped process is gone"
