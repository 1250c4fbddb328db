"""Passive outlier ejection: an instance that keeps failing is left out for a while.

`consecutive_failures` failures (errors or timeouts) in a row eject an instance for `base_s`,
twice as long at each further ejection (up to `max_s`); an ejected instance returns by itself
when its time is up and a success there forgives its past. Never more than `max_ejected_share` of
a pool is out at once: when everything fails the fault is likely not the instances', and a pool
ejected to nothing would fail every call (Envoy's "max ejection percent").

A refused connection ejects at once (`refused`): nothing listens on the port, so the process is
dead (killed, crashed, restarting), not slow, and every call sent there until the registry has
evicted it would fail too. The game day's monkey kills an instance every 15 s; five failures
each was five more failed attempts per client per kill, each needing a retry.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from vodstack.clients.resilience.stats import Clock
from vodstack.config.resilience import OutlierPolicy


@dataclass
class _Record:
    failures: int = 0
    ejections: int = 0
    until: float = 0.0


class OutlierDetector:
    def __init__(self, policy: OutlierPolicy, clock: Clock = time.monotonic) -> None:
        self._policy = policy
        self._clock = clock
        self._records: dict[str, _Record] = {}

    def _record(self, instance: str) -> _Record:
        return self._records.setdefault(instance, _Record())

    def ejected(self, instance: str) -> bool:
        return self._record(instance).until > self._clock()

    def success(self, instance: str) -> None:
        record = self._record(instance)
        record.failures = 0
        if not self.ejected(instance):
            record.ejections = 0

    def failure(self, instance: str, pool: Sequence[str], *, refused: bool = False) -> None:
        record = self._record(instance)
        record.failures += 1
        enough = refused or record.failures >= self._policy.consecutive_failures
        if not enough or self.ejected(instance):
            return
        out = sum(1 for other in pool if self.ejected(other))
        if out + 1 > math.floor(len(pool) * self._policy.max_ejected_share):
            return
        period = min(self._policy.max_s, self._policy.base_s * 2**record.ejections)
        record.until = self._clock() + period
        record.ejections += 1
        record.failures = 0

    def available(self, pool: Sequence[str]) -> list[str]:
        return [instance for instance in pool if not self.ejected(instance)]
