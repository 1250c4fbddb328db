"""Which objects each edge of a region holds: the most expected bytes served per byte stored.

An object expected to be requested n times tomorrow serves n x size bytes from the size it
occupies, so its value per byte stored is n: the region's plan takes objects by expected
requests, best first, until the region's planned bytes are spent (`choose`). Then `spread`
deals the plan out to the region's edges title by title, each title to the first edge in
its rendezvous order (the order steering uses) that still has room, so the edges hold
complementary sets (the region's capacity adds up) instead of copies of the same head.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

from vodstack.delivery.rendezvous import rendezvous_order

K = TypeVar("K", bound=Hashable)


def choose(expected: Mapping[K, float], size_of: Callable[[K], int], budget: int) -> list[K]:
    """Objects by expected requests (best first) whose sizes add up to at most `budget`."""
    chosen: list[K] = []
    left = budget
    for key in sorted(expected, key=expected.__getitem__, reverse=True):
        size = size_of(key)
        if size <= left:
            chosen.append(key)
            left -= size
        if left <= 0:
            break
    return chosen


def spread(
    chosen: Sequence[K],
    title_of: Callable[[K], str],
    size_of: Callable[[K], int],
    edges: Sequence[str],
    capacity: int,
) -> dict[str, list[K]]:
    """Deal `chosen` (best first) to `edges` of `capacity` bytes each, a title per edge."""
    plan: dict[str, list[K]] = {edge: [] for edge in edges}
    room = dict.fromkeys(edges, capacity)
    orders: dict[str, list[str]] = {}
    for key in chosen:
        title, size = title_of(key), size_of(key)
        order = orders.get(title)
        if order is None:
            order = orders[title] = rendezvous_order(title, edges, name=str)
        for edge in order:
            if room[edge] >= size:
                plan[edge].append(key)
                room[edge] -= size
                break
    return plan
