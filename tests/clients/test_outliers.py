"""Passive outlier ejection: ejected after failures in a row, back after a growing interval,
never more than half of the pool."""

from __future__ import annotations

from tests.support.clock import FakeMonotonic
from vodstack.clients.resilience.outliers import OutlierDetector
from vodstack.config.resilience import OutlierPolicy

POOL = ["http://a", "http://b", "http://c", "http://d"]
POLICY = OutlierPolicy(consecutive_failures=3, base_s=10, max_s=35, max_ejected_share=0.5)


def _fail(detector: OutlierDetector, instance: str, times: int) -> None:
    for _ in range(times):
        detector.failure(instance, POOL)


def test_failures_in_a_row_eject_an_instance_and_it_returns_when_its_time_is_up() -> None:
    clock = FakeMonotonic()
    detector = OutlierDetector(POLICY, clock)
    _fail(detector, "http://a", 2)
    detector.success("http://a")
    _fail(detector, "http://a", 2)
    assert detector.available(POOL) == POOL, "a success in between resets the count"
    _fail(detector, "http://a", 1)
    assert detector.available(POOL) == POOL[1:]
    clock.advance(9.9)
    assert "http://a" not in detector.available(POOL)
    clock.advance(0.2)
    assert detector.available(POOL) == POOL


def test_each_further_ejection_lasts_twice_as_long_up_to_the_cap() -> None:
    clock = FakeMonotonic()
    detector = OutlierDetector(POLICY, clock)
    periods = []
    for _ in range(4):
        _fail(detector, "http://a", 3)
        started = clock.now
        while detector.ejected("http://a"):
            clock.advance(1)
        periods.append(clock.now - started)
    assert periods == [10, 20, 35, 35]


def test_a_success_after_returning_forgives_the_past() -> None:
    clock = FakeMonotonic()
    detector = OutlierDetector(POLICY, clock)
    _fail(detector, "http://a", 3)
    clock.advance(10)
    detector.success("http://a")
    _fail(detector, "http://a", 3)
    clock.advance(10)
    assert not detector.ejected("http://a")


def test_never_more_than_half_of_the_pool_is_ejected() -> None:
    detector = OutlierDetector(POLICY, FakeMonotonic())
    for instance in POOL:
        _fail(detector, instance, 3)
    assert len(detector.available(POOL)) == 2


def test_a_refused_connection_ejects_at_once_within_the_share() -> None:
    clock = FakeMonotonic()
    detector = OutlierDetector(POLICY, clock)
    detector.failure("http://a", POOL, refused=True)
    assert detector.available(POOL) == POOL[1:], "nothing listens there: out at the first one"
    detector.failure("http://b", POOL, refused=True)
    detector.failure("http://c", POOL, refused=True)
    assert detector.available(POOL) == ["http://c", "http://d"], "never more than half"
