"""Choosing an instance: round robin, least outstanding, power of two choices (the default).

Power of two choices (Mitzenmacher) draws two distinct instances at random and takes the one with
the lower latency x outstanding: nearly as good as asking every instance, without all clients
herding onto the same "best" one (docs/resilience.md, "Balancing").
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Protocol

from vodstack.clients.resilience.stats import StatsTable
from vodstack.config.resilience import BalancerKind


class Balancer(Protocol):
    def pick(self, candidates: Sequence[str], stats: StatsTable) -> str:
        """One of `candidates` (never empty)."""
        ...


class RoundRobin:
    def __init__(self) -> None:
        self._turn = itertools.count()

    def pick(self, candidates: Sequence[str], stats: StatsTable) -> str:
        return candidates[next(self._turn) % len(candidates)]


class LeastOutstanding:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()  # noqa: S311 (load spreading, not a secret)

    def pick(self, candidates: Sequence[str], stats: StatsTable) -> str:
        fewest = min(stats.of(c).outstanding for c in candidates)
        return self._rng.choice([c for c in candidates if stats.of(c).outstanding == fewest])


class PowerOfTwoChoices:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()  # noqa: S311 (load spreading, not a secret)

    def pick(self, candidates: Sequence[str], stats: StatsTable) -> str:
        if len(candidates) == 1:
            return candidates[0]
        first, second = self._rng.sample(list(candidates), 2)
        return first if stats.cost(first) <= stats.cost(second) else second


def balancer(kind: BalancerKind) -> Balancer:
    if kind is BalancerKind.ROUND_ROBIN:
        return RoundRobin()
    if kind is BalancerKind.LEAST_OUTSTANDING:
        return LeastOutstanding()
    return PowerOfTwoChoices()
