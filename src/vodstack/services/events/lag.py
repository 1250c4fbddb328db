"""Back-pressure: when a consumer group is too far behind, new batches are refused (429).

Accepting them anyway would only grow a backlog the consumers cannot clear; the players keep
their events and retry after `Retry-After`. Lag is read at most once per `check_s`, so the
check costs nothing per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from vodstack.core.errors import TooManyRequests
from vodstack.events.log import EventLog


class LagGate:
    def __init__(
        self,
        log: EventLog,
        groups: Sequence[str],
        *,
        max_lag: int,
        retry_after_s: int,
        check_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._groups = tuple(groups)
        self._max_lag = max_lag
        self._retry_after_s = retry_after_s
        self._check_s = check_s
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._lags: dict[str, int] = {}

    def lags(self) -> dict[str, int]:
        """Each group's lag, at most `check_s` old."""
        return self.timed_lags()[0]

    def timed_lags(self) -> tuple[dict[str, int], float]:
        """`lags`, and when they stop being fresh on the gate's clock (a replayed answer of
        them must not outlive that: the events service's answer cache)."""
        with self._lock:
            now = self._clock()
            if now - self._checked_at >= self._check_s:
                self._lags = {group: self._log.lag(group) for group in self._groups}
                self._checked_at = now
            return dict(self._lags), self._checked_at + self._check_s

    def fresh_lags(self) -> dict[str, int] | None:
        """The lags if read less than `check_s` ago, without ever waiting: None when they are
        older or a thread is reading them right now (then call `lags`, in a thread). For the
        event loop, which must not block on the log's store."""
        found = self.fresh_timed_lags()
        return None if found is None else found[0]

    def fresh_timed_lags(self) -> tuple[dict[str, int], float] | None:
        """`fresh_lags` with when they stop being fresh (as `timed_lags`)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._clock() - self._checked_at >= self._check_s:
                return None
            return dict(self._lags), self._checked_at + self._check_s
        finally:
            self._lock.release()

    def check(self) -> None:
        """Raise `TooManyRequests` (429, Retry-After) when any group lags past the limit."""
        behind = {group: lag for group, lag in self.lags().items() if lag > self._max_lag}
        if behind:
            names = ", ".join(f"{group} ({lag} events)" for group, lag in sorted(behind.items()))
            raise TooManyRequests(
                f"The event consumers are behind ({names}); send these events again later.",
                retry_after=self._retry_after_s,
                code="consumers_lagging",
            )
