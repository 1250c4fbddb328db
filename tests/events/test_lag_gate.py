"""`LagGate.fresh_lags`: what the events service answers on its event loop, never blocking."""

from __future__ import annotations

import threading
from typing import cast

from vodstack.events.log import EventLog
from vodstack.services.events.lag import LagGate


class CountingLog:
    """Stands in for the event log's lag query: counts the reads."""

    def __init__(self) -> None:
        self.reads = 0

    def lag(self, group: str) -> int:
        self.reads += 1
        return 5


def _gate(log: CountingLog, now: list[float]) -> LagGate:
    return LagGate(
        cast(EventLog, log), ["popularity"], max_lag=10, retry_after_s=1, clock=lambda: now[0]
    )


def test_fresh_lags_answer_only_what_was_read_less_than_check_s_ago() -> None:
    log, now = CountingLog(), [100.0]
    gate = _gate(log, now)
    assert gate.fresh_lags() is None  # never read: the caller reads in a thread
    assert gate.lags() == {"popularity": 5}
    now[0] += 0.5
    assert gate.fresh_lags() == {"popularity": 5}
    assert log.reads == 1  # a fresh answer never touches the log
    now[0] += 0.6
    assert gate.fresh_lags() is None


def test_fresh_lags_never_wait_for_a_thread_reading_the_log() -> None:
    log, now = CountingLog(), [100.0]
    gate = _gate(log, now)
    gate.lags()
    held = threading.Event()
    release = threading.Event()

    def reader() -> None:
        with gate._lock:  # as `lags` holds it while the log answers
            held.set()
            release.wait(10)

    thread = threading.Thread(target=reader)
    thread.start()
    held.wait(10)
    try:
        assert gate.fresh_lags() is None
    finally:
        release.set()
        thread.join(10)
    assert gate.fresh_lags() == {"popularity": 5}
