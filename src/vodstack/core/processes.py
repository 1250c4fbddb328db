"""Facts about OS processes, and the one mechanism that keeps a child from outliving its owner.

Every process vodstack starts (a service under the supervisor, a worker under its pool, an
ffmpeg under its worker) must die with the process that started it, even when that one is
killed with SIGKILL and has no chance to clean up. Three layers, strongest first:

- **Parent-death signal** (Linux `prctl(PR_SET_PDEATHSIG, SIGKILL)`): the kernel kills the child
  the moment its parent dies. It fires when the parent *thread* that forked the child ends, not
  the process, so every caller here forks only from a thread that outlives the child: the
  supervisor's event-loop thread, the pool's monitor thread (which reaps every worker before it
  returns), and the worker thread blocked in `FfmpegRunner.run` until its ffmpeg is gone.
  A child checks its parent after arming the signal: a parent that died in between would never
  fire it.
- **A watched pipe** (`watch_parent`): the child waits for EOF on a pipe whose write end only
  the parent holds; it works where prctl does not (macOS) and lets a worker release its task.
- **A ledger** (`ProcessLedger`): the pids an owner started, with their start times, under
  `data_dir/run`; a successor sweeps the children of owners that no longer run, after checking
  that each pid is still the very process recorded (same start time since the same boot), so a
  recycled pid is never killed.
"""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import os
import select
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_PROC = Path("/proc")


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- parent-death signal ---------------------------------------------------------------------


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """libc's prctl, resolved in the parent (a forked child must not run the dynamic loader)."""
    if os.uname().sysname != "Linux":
        return None
    try:
        function: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return function


def die_with_parent(parent_pid: int) -> bool:
    """Have the kernel SIGKILL this process when its parent dies; die now if it already has.

    Returns False where the platform has no parent-death signal (the pipe and ledger remain).
    """
    prctl = _prctl()
    if prctl is None:
        return False
    prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:
        os.kill(os.getpid(), signal.SIGKILL)  # re-parented before the signal was armed
    return True


def child_dies_with_us(niceness: int = 0) -> Callable[[], object] | None:
    """A `Popen(preexec_fn=...)` arming the parent-death signal in the child before exec, and
    lowering the child's CPU priority by `niceness` (0: unchanged).

    Runs between fork and exec, so it only calls what is already resolved (no import, no lock).
    None where there is nothing to do. The signal survives exec (not for set-uid programs,
    none used); so does the niceness.
    """
    if _prctl() is None:
        return functools.partial(os.nice, niceness) if niceness else None
    return functools.partial(_start_child, os.getpid(), niceness)


def _start_child(parent_pid: int, niceness: int) -> None:
    die_with_parent(parent_pid)
    if niceness:
        os.nice(niceness)


# -- watched pipe ----------------------------------------------------------------------------


def watch_parent(sentinel: int, on_orphaned: Callable[[], None]) -> threading.Thread:
    """Call `on_orphaned` (on a daemon thread) once `sentinel` reads EOF: the parent is gone."""

    def wait() -> None:
        while True:
            readable, _, _ = select.select([sentinel], [], [])
            if readable and not os.read(sentinel, 1):
                on_orphaned()
                return

    thread = threading.Thread(target=wait, name="parent-watch", daemon=True)
    thread.start()
    return thread


# -- identity and ledger ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessIdentity:
    """A pid plus what tells it apart from a later process given the same pid."""

    pid: int
    started: int  # clock ticks after boot (/proc/PID/stat field 22)
    boot_id: str
    # For the logs only: a child read between fork and exec still shows its parent's command.
    cmdline: str = field(compare=False)

    @classmethod
    def of(cls, pid: int) -> ProcessIdentity | None:
        """The identity of a running process; None if gone or unknowable (no /proc)."""
        try:
            stat = (_PROC / str(pid) / "stat").read_text()
            cmdline = (_PROC / str(pid) / "cmdline").read_bytes()
            boot_id = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            return None
        # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
        fields = stat.rpartition(")")[2].split()
        started = int(fields[19])  # field 22 counted from 1, minus pid and comm
        return cls(pid, started, boot_id, cmdline.replace(b"\0", b" ").decode(errors="replace"))

    def running(self) -> bool:
        """Whether this exact process still runs (not merely some process with its pid)."""
        return ProcessIdentity.of(self.pid) == self


def children_of(pid: int) -> list[int]:
    """The direct children of `pid` (Linux; empty elsewhere)."""
    found: list[int] = []
    for task in _PROC.glob(f"{pid}/task/*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def descendants_of(pid: int) -> list[int]:
    """Every process below `pid`, children first."""
    found: list[int] = []
    pending = [pid]
    while pending:
        kids = children_of(pending.pop())
        found += kids
        pending += kids
    return found


def kill_identity(identity: ProcessIdentity) -> bool:
    """SIGKILL this exact process (its whole group if it leads one); False if already gone."""
    if not identity.running():
        return False
    try:
        if os.getpgid(identity.pid) == identity.pid:
            os.killpg(identity.pid, signal.SIGKILL)
        else:
            os.kill(identity.pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


class ProcessLedger:
    """The children one owner (this process) runs, on disk, so a successor can sweep them.

    One JSON file per owner in `directory`; several owners may share the directory (a pipeline
    service and a `vodstack jobs work` on the same data): a sweep only touches the children of
    owners that no longer run.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.owner = ProcessIdentity.of(os.getpid())
        self._lock = threading.Lock()

    @property
    def path(self) -> Path | None:
        if self.owner is None:
            return None
        return self.directory / f"{self.owner.pid}-{self.owner.started}.json"

    def record(self, pids: Iterable[int]) -> None:
        """Replace this owner's record with `pids` (the children it runs now)."""
        path = self.path
        if path is None or self.owner is None:
            return
        children = [asdict(i) for pid in pids if (i := ProcessIdentity.of(pid)) is not None]
        payload = json.dumps({"owner": asdict(self.owner), "children": children})
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(payload)
            tmp.replace(path)

    def close(self) -> None:
        """Forget this owner's record (its children were stopped)."""
        path = self.path
        if path is not None:
            path.unlink(missing_ok=True)

    def sweep(self) -> list[int]:
        """Kill the recorded children of owners that no longer run; returns the pids killed."""
        killed: list[int] = []
        for path in sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []:
            try:
                data = json.loads(path.read_text())
                owner = ProcessIdentity(**data["owner"])
                children = [ProcessIdentity(**child) for child in data["children"]]
            except (OSError, ValueError, TypeError, KeyError):
                log.warning("ignoring unreadable process record %s", path)
                continue
            if owner == self.owner or owner.running():
                continue
            killed += [child.pid for child in children if kill_identity(child)]
            path.unlink(missing_ok=True)
        if killed:
            log.warning("killed %d stale processes left by a previous run: %s", len(killed), killed)
        return killed
