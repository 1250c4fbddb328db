"""A process's CPU time so far, from /proc: tells a starved process (it ran since the last
look) from a frozen one (SIGSTOP or deadlocked: it did not), for the liveness verdict."""

from __future__ import annotations

from pathlib import Path


def cpu_ticks(pid: int, proc: Path = Path("/proc")) -> int | None:
    """utime + stime of `pid` in clock ticks; None when it is gone, stopped (SIGSTOP: state
    T) or /proc is not there (not Linux): then it counts as not working."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] in ("T", "t", "Z", "X"):
        return None
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
