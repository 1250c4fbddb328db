"""core.backoff on a fake clock: jittered doubling waits, transient-only retries, a time budget."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import pytest

from tests.support.clock import FakeMonotonic
from vodstack.core.backoff import Backoff, aretry, retry


class Down(Exception):
    pass


def test_waits_double_within_their_upper_half_and_cap() -> None:
    backoff = Backoff(first_s=0.25, max_s=4.0)
    low = list(itertools.islice(backoff.delays(lambda: 0.0), 7))
    high = list(itertools.islice(backoff.delays(lambda: 1.0), 7))
    assert high == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert low == [h / 2 for h in high]


def test_retries_a_transient_error_until_it_succeeds() -> None:
    time = FakeMonotonic(start=0.0)
    answers: Iterator[str | Exception] = iter([Down(), Down(), "ok"])

    def call() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    seen: list[float] = []
    result = retry(
        call,
        lambda exc: isinstance(exc, Down),
        Backoff(),
        on_retry=lambda _exc, delay: seen.append(delay),
        sleep=time.sleep,
        clock=time,
    )
    assert result == "ok"
    assert seen == time.slept and len(seen) == 2


def test_a_refusal_is_not_retried() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise ValueError("403")

    with pytest.raises(ValueError):
        retry(call, lambda exc: isinstance(exc, Down), Backoff(), sleep=lambda _s: None)
    assert len(calls) == 1


def test_gives_up_with_the_last_error_once_the_budget_is_spent() -> None:
    time = FakeMonotonic(start=0.0)

    def call() -> None:
        raise Down(f"at {time.now:.2f}")

    with pytest.raises(Down):
        retry(call, lambda _exc: True, Backoff(budget_s=30.0), sleep=time.sleep, clock=time)
    assert sum(time.slept) <= 30.0
    assert sum(time.slept) > 30.0 - 4.0, "it kept trying for about the whole budget"


def test_the_async_twin_behaves_the_same() -> None:
    attempts = []

    async def call() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise Down()
        return len(attempts)

    fast = Backoff(first_s=0.001, max_s=0.002, budget_s=5.0)
    assert asyncio.run(aretry(call, lambda exc: isinstance(exc, Down), fast)) == 3
