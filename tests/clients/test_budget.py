"""The retry budget: about 10 % extra calls, however many calls fail."""

from __future__ import annotations

from vodstack.clients.resilience.budget import RetryBudget


def test_retries_are_capped_at_the_ratio_of_calls_plus_the_reserve() -> None:
    budget = RetryBudget(ratio=0.1, reserve=5)
    retries = 0
    for _ in range(1000):
        budget.deposit()
        retries += budget.withdraw()
    assert 100 <= retries <= 105


def test_a_quiet_client_may_retry_from_its_reserve_but_not_beyond() -> None:
    budget = RetryBudget(ratio=0.1, reserve=3)
    assert [budget.withdraw() for _ in range(4)] == [True, True, True, False]
