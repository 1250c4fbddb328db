"""The circuit breaker's state machine, on a fake clock."""

from __future__ import annotations

from tests.support.clock import FakeMonotonic
from vodstack.clients.resilience.breaker import BreakerState, CircuitBreaker
from vodstack.config.resilience import BreakerPolicy

POLICY = BreakerPolicy(
    window=10, min_calls=5, failure_rate=0.5, slow_call_s=1.0, open_s=5.0, probes=2
)


def state_of(breaker: CircuitBreaker) -> BreakerState:
    return breaker.state


def _breaker(clock: FakeMonotonic) -> tuple[CircuitBreaker, list[BreakerState]]:
    seen: list[BreakerState] = []
    return CircuitBreaker(POLICY, clock, seen.append), seen


def test_failures_below_the_minimum_number_of_calls_never_open_it() -> None:
    breaker, _ = _breaker(FakeMonotonic())
    for _ in range(4):
        breaker.record(failed=True, duration_s=0.01)
    assert state_of(breaker) is BreakerState.CLOSED
    assert breaker.allow()


def test_a_failure_rate_over_the_window_opens_it_and_it_refuses_calls() -> None:
    breaker, seen = _breaker(FakeMonotonic())
    for failed in (False, True, False, True, True):
        breaker.record(failed=failed, duration_s=0.01)
    assert state_of(breaker) is BreakerState.OPEN
    assert not breaker.allow()
    assert seen == [BreakerState.OPEN]


def test_slow_calls_open_it_too() -> None:
    breaker, _ = _breaker(FakeMonotonic())
    for _ in range(5):
        breaker.record(failed=False, duration_s=1.5)
    assert state_of(breaker) is BreakerState.OPEN


def test_after_the_open_period_probes_go_through_and_their_success_closes_it() -> None:
    clock = FakeMonotonic()
    breaker, seen = _breaker(clock)
    for _ in range(5):
        breaker.record(failed=True, duration_s=0.01)
    clock.advance(4.9)
    assert not breaker.allow()
    clock.advance(0.2)
    assert breaker.allow() and breaker.allow()
    assert not breaker.allow(), "only `probes` calls at once while half-open"
    breaker.record(failed=False, duration_s=0.01)
    assert state_of(breaker) is BreakerState.HALF_OPEN
    breaker.record(failed=False, duration_s=0.01)
    assert state_of(breaker) is BreakerState.CLOSED
    assert seen == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]
    # The window was forgotten: one failure is not a rate.
    breaker.record(failed=True, duration_s=0.01)
    assert state_of(breaker) is BreakerState.CLOSED


def test_a_failed_probe_opens_it_again_for_another_period() -> None:
    clock = FakeMonotonic()
    breaker, seen = _breaker(clock)
    for _ in range(5):
        breaker.record(failed=True, duration_s=0.01)
    clock.advance(5)
    assert breaker.allow()
    breaker.record(failed=True, duration_s=0.01)
    assert state_of(breaker) is BreakerState.OPEN
    clock.advance(4)
    assert not breaker.allow()
    clock.advance(1)
    assert state_of(breaker) is BreakerState.HALF_OPEN
    assert seen == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
    ]
