"""A circuit breaker per upstream: stop calling a dependency that fails or crawls, try again
carefully once it may have recovered.

    CLOSED ── failure or slow-call rate over the window ≥ threshold ──▶ OPEN
    OPEN ── open_s later ──▶ HALF_OPEN (at most `probes` calls in flight)
    HALF_OPEN ── `probes` successes ──▶ CLOSED (window forgotten)
    HALF_OPEN ── any failure or slow call ──▶ OPEN

The window counts the last `window` calls and decides nothing before `min_calls` of them: two
failures out of two are not a rate (resilience4j's count-based window).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import IntEnum

from vodstack.clients.resilience.stats import Clock
from vodstack.config.resilience import BreakerPolicy


class BreakerState(IntEnum):
    """Values as exported in the `vodstack_circuit_state` gauge."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


OnTransition = Callable[[BreakerState], None]


class CircuitBreaker:
    def __init__(
        self,
        policy: BreakerPolicy,
        clock: Clock = time.monotonic,
        on_transition: OnTransition | None = None,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._on_transition = on_transition
        self._calls: deque[tuple[bool, bool]] = deque(maxlen=policy.window)  # (failed, slow)
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0
        self._probes_in_flight = 0
        self._probe_successes = 0

    @property
    def state(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and self._clock() >= self._opened_at + self._policy.open_s
        ):
            self._move(BreakerState.HALF_OPEN)
        return self._state

    def allow(self) -> bool:
        """May a call go out now? A True in HALF_OPEN takes a probe slot: report its outcome."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and self._probes_in_flight < self._policy.probes:
            self._probes_in_flight += 1
            return True
        return False

    def record(self, *, failed: bool, duration_s: float) -> None:
        slow = duration_s >= self._policy.slow_call_s
        if self._state is BreakerState.HALF_OPEN:
            self._probes_in_flight = max(0, self._probes_in_flight - 1)
            if failed or slow:
                self._open()
            else:
                self._probe_successes += 1
                if self._probe_successes >= self._policy.probes:
                    self._move(BreakerState.CLOSED)
            return
        if self._state is BreakerState.OPEN:
            return  # a call let through before the breaker opened; it no longer counts
        self._calls.append((failed, slow))
        if self._tripped():
            self._open()

    def _tripped(self) -> bool:
        total = len(self._calls)
        if total < self._policy.min_calls:
            return False
        failures = sum(1 for failed, _ in self._calls if failed)
        slow = sum(1 for _, slow in self._calls if slow)
        return (
            failures / total >= self._policy.failure_rate or slow / total >= self._policy.slow_rate
        )

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move(BreakerState.OPEN)

    def _move(self, state: BreakerState) -> None:
        self._state = state
        self._probes_in_flight = 0
        self._probe_successes = 0
        if state is BreakerState.CLOSED:
            self._calls.clear()
        if self._on_transition is not None:
            self._on_transition(state)
