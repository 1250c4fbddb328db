"""How much of a cache the plan should pin, learnt by replaying yesterday.

Pinning helps when the forecast is better than what demand-fetch caching keeps by itself
(scans of one-hit wonders, a head that is stable from day to day) and hurts when it is not
(intraday surprises, small noisy samples). Which holds differs by trace and region, so each
night the share is chosen by backtest: yesterday's plan (made from the days before it, so
no knowledge of yesterday) is replayed over yesterday's requests with each candidate share,
the reactive part first warmed on the day before, and the share that served the
most bytes wins. Only past requests are used; the policy is the edges' (`ByteBudget`).
"""

from __future__ import annotations

from collections.abc import Sequence

from vodstack.cdn.cache.budget import ByteBudget
from vodstack.cdn.cache.policies import make_policy
from vodstack.cdn.cache.replay import serve
from vodstack.config.settings import EvictionKind

SHARES = (0.0, 0.3, 0.6, 0.9)


def prefix(ranked: Sequence[int], sizes: Sequence[int], budget: int) -> set[int]:
    """The best-ranked objects whose sizes add up to at most `budget`."""
    taken: set[int] = set()
    for key in ranked:
        size = sizes[key]
        if size <= budget:
            taken.add(key)
            budget -= size
    return taken


def best_share(
    ranked: Sequence[int],
    day_before: list[int],
    yesterday: list[int],
    sizes: list[int],
    capacity: int,
    kind: EvictionKind,
    shares: Sequence[float] = SHARES,
    margin: float = 0.0,
) -> float:
    """The pinned share that would have served the most bytes yesterday.

    Pinning must beat no pinning by `margin` (relative): one day is a noisy sample, and a
    share chosen on noise costs on the next day.
    """
    return best_share_over([(ranked, day_before, yesterday)], sizes, capacity, kind, shares, margin)


def best_share_over(
    days: Sequence[tuple[Sequence[int], list[int], list[int]]],
    sizes: list[int],
    capacity: int,
    kind: EvictionKind,
    shares: Sequence[float] = SHARES,
    margin: float = 0.0,
) -> float:
    """The pinned share that would have served the most bytes over past `days`, each given as
    (the plan made before it, the requests of the day before it, its requests)."""
    best, best_bytes = shares[0], -1
    for share in shares:
        served = 0
        for ranked, day_before, day in days:
            pinned = prefix(ranked, sizes, int(capacity * share))
            budget: ByteBudget[int] = ByteBudget(
                capacity - sum(sizes[key] for key in pinned), make_policy(kind)
            )
            serve(budget, day_before, sizes, pinned)  # a reactive part as warm as the real one
            served += serve(budget, day, sizes, pinned).hit_bytes
        if share == 0.0:
            served = int(served * (1 + margin))
        if served > best_bytes:
            best, best_bytes = share, served
    return best
