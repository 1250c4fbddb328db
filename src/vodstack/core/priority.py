"""Background threads yield the CPU to request-serving ones.

A service that consumes the event log does it on a thread beside its HTTP server, and on a
small machine the consumers' blocks of work compete for the same cores as the gateway and the
events service, which are on every player request's path. Lowering the consumer thread's
priority (a higher nice value) lets the scheduler run a woken request thread first; the
consumers still get every idle cycle and, when the machine is saturated, fall behind until the
events service's back-pressure (429) slows the players down.

Linux only: there a nice value belongs to a thread (`setpriority` on its thread id), and it
weighs against the other threads of the same scheduling group (with `sched_autogroup`, the same
session: the supervisor keeps the platform's processes in its own, see supervisor/process.py).
Elsewhere the call would renice the whole process, so it does nothing.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

log = logging.getLogger(__name__)

_MAX_NICE = 19


def lower_this_thread(niceness: int) -> int:
    """Raise the calling thread's nice value by `niceness` (capped at 19); returns the new one.

    0 (or a platform without per-thread priorities) leaves it as it is. Never raises: a thread
    at its usual priority is still correct, only less polite.
    """
    if niceness <= 0 or sys.platform != "linux":
        return os.getpriority(os.PRIO_PROCESS, 0)
    thread = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, thread)
        target = min(_MAX_NICE, now + niceness)
        os.setpriority(os.PRIO_PROCESS, thread, target)
    except OSError as exc:  # a sandbox that forbids it: keep going at the usual priority
        log.warning("could not lower the priority of thread %s: %s", thread, exc)
        return os.getpriority(os.PRIO_PROCESS, 0)
    return target
