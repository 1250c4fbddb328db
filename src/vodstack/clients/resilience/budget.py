"""A retry budget: retries may add at most about `ratio` to an upstream's load.

Every first attempt deposits `ratio` of a token, every retry withdraws a whole one; the balance
is capped at `reserve`, which also lets a quiet client retry a few times before it has
deposited anything (Finagle's RetryBudget, without its time window). When an upstream fails
everything, its callers add 10 % instead of multiplying their load by the attempts: a failure
never becomes a retry storm.
"""

from __future__ import annotations


class RetryBudget:
    def __init__(self, ratio: float, reserve: float) -> None:
        self._ratio = ratio
        self._cap = max(reserve, 1.0)
        self._balance = reserve

    def deposit(self) -> None:
        """One first attempt went out."""
        self._balance = min(self._cap, self._balance + self._ratio)

    def withdraw(self) -> bool:
        """May one retry go out? Takes its token if so."""
        if self._balance < 1.0:
            return False
        self._balance -= 1.0
        return True
