"""Retrying a call through a short outage: exponential backoff with jitter, bounded in time.

A service restart (the supervisor's backoff plus a start-up) takes seconds; a client that gives
up on the first 503 turns that into a lost result. The waits double from `first_s` up to `max_s`,
each drawn from its upper half at random (jitter), so clients that failed together do not all
come back in the same instant; after `budget_s` in total the last error is raised. Only errors
the caller calls transient are retried: a refusal (4xx) is an answer, not an outage.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
Transient = Callable[[Exception], bool]
OnRetry = Callable[[Exception, float], None]  # the error, and the wait before the next try


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.25
    max_s: float = 4.0
    budget_s: float = 30.0

    def delays(self, draw: Callable[[], float] = random.random) -> Iterator[float]:
        """Endless waits: the n-th is in [cap/2, cap] with cap = min(max_s, first_s * 2**n)."""
        cap = self.first_s
        while True:
            yield cap / 2 + draw() * cap / 2
            cap = min(self.max_s, cap * 2)


def retry(
    call: Callable[[], T],
    transient: Transient,
    backoff: Backoff,
    *,
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """`call()`, again after each transient error, until it succeeds or the budget is spent."""
    deadline = clock() + backoff.budget_s
    for delay in backoff.delays():
        try:
            return call()
        except Exception as exc:
            if not transient(exc) or clock() + delay > deadline:
                raise
            if on_retry is not None:
                on_retry(exc, delay)
            sleep(delay)
    raise AssertionError("unreachable: delays() never ends")


async def aretry(
    call: Callable[[], Awaitable[T]],
    transient: Transient,
    backoff: Backoff,
    *,
    on_retry: OnRetry | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """The async twin of `retry`."""
    deadline = clock() + backoff.budget_s
    for delay in backoff.delays():
        try:
            return await call()
        except Exception as exc:
            if not transient(exc) or clock() + delay > deadline:
                raise
            if on_retry is not None:
                on_retry(exc, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: delays() never ends")
