"""Liveness: is a running process still doing its job, judged by its /healthz answers.

A process that exits is easy to spot; one that is frozen (SIGSTOP, a deadlock, a blocked event
loop) still has a pid and holds its port while every request to it hangs. The supervisor probes
each process every `liveness_interval_s` and feeds the outcome here; after `liveness_failures`
probes in a row without an answer (or no answer within `start_timeout_s` of a start) the
verdict is REPLACE, and the supervisor kills the process with SIGKILL (a frozen process never
handles SIGTERM) and starts it again with the usual backoff.
A process that answers "unhealthy" (503: its database is down, say) is alive: it is shown as
unhealthy but not restarted, since a new process would find the same database down.
A process that does not answer but keeps using CPU (its utime + stime in /proc grew since the
last probe) is *starved*, not frozen: on an overloaded host a live gateway misses three 2 s
probes, and replacing it while its sibling was being restarted after a chaos kill left the
shared port with no gateway at all (the game day found it). Such a process is replaced only once
it has gone `liveness_busy_grace_s` without an answer (a busy loop is still caught); a frozen
one (SIGSTOP, a deadlock: no CPU) after the usual `liveness_failures`.
Pure logic on a clock passed in: the unit tests drive it with a fake one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vodstack.config.settings import SupervisorSettings


class Verdict(StrEnum):
    STARTING = "starting"  # no answer yet, still within its start time
    ALIVE = "alive"  # answered (healthy or not)
    FAILING = "failing"  # unanswered probes, fewer than the threshold
    REPLACE = "replace"


@dataclass
class Liveness:
    policy: SupervisorSettings
    started_at: float = 0.0
    failures: int = 0
    seen_alive: bool = False
    next_probe_at: float = 0.0
    last_answer_at: float = 0.0
    busy: bool = False  # the last unanswered probe found the process using CPU

    def restarted(self, now: float) -> None:
        """A new process: forget the old one's record, give it its start time."""
        self.started_at = now
        self.failures = 0
        self.seen_alive = False
        self.next_probe_at = now
        self.last_answer_at = now
        self.busy = False

    def due(self, now: float) -> bool:
        return now >= self.next_probe_at

    def inconclusive(self, now: float, sent_at: float | None = None) -> None:
        """A probe that says nothing of this process (another one on its port answered)."""
        self.next_probe_at = (now if sent_at is None else sent_at) + self.policy.liveness_interval_s

    def observe(
        self, answered: bool, now: float, sent_at: float | None = None, *, working: bool = False
    ) -> Verdict:
        """Record whether a probe (sent at `sent_at`) got an answer in time, and, if not,
        whether the process used CPU since the last probe (`working`); say what the process is
        now. Probes are spaced from when they were sent, so a probe that timed out does not
        also wait a full interval before the next one."""
        self.next_probe_at = (now if sent_at is None else sent_at) + self.policy.liveness_interval_s
        if answered:
            self.failures = 0
            self.seen_alive = True
            self.last_answer_at = now
            self.busy = False
            return Verdict.ALIVE
        self.failures += 1
        self.busy = working
        if not self.seen_alive:
            late = now - self.started_at > self.policy.start_timeout_s
            return Verdict.REPLACE if late else Verdict.STARTING
        if self.failures < self.policy.liveness_failures:
            return Verdict.FAILING
        if working and now - self.last_answer_at < self.policy.liveness_busy_grace_s:
            return Verdict.FAILING  # starved, not frozen: give it the grace period
        return Verdict.REPLACE

    def reason(self) -> str:
        """Why a REPLACE verdict was given, for the log and `vodstack status`."""
        if not self.seen_alive:
            return f"no answer {self.policy.start_timeout_s:g} s after start"
        if self.busy:
            return (
                f"{self.failures} failed health checks in a row, busy without answering for "
                f"over {self.policy.liveness_busy_grace_s:g} s"
            )
        return f"{self.failures} failed health checks in a row (frozen or hung)"
