"""Fill orders for one window: what each edge fetches, from where, within its bandwidth cap.

Tiered: an object another edge of the same region already holds is copied from that peer
(cheap, inside the region), anything else comes from the origin. Rate-limited: an edge
fetches at most `rate_bytes_per_s x window_s` bytes per window; its orders are taken in
plan order (best first), so what the cap cuts is the least valuable part of the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
ORIGIN = "origin"


@dataclass(frozen=True)
class FillOrder(Generic[K]):
    edge: str
    key: K
    size: int
    source: str  # a peer edge's name, or ORIGIN


@dataclass
class FillSchedule(Generic[K]):
    orders: list[FillOrder[K]]
    deferred: list[tuple[str, K]]  # (edge, key) the bandwidth cap left out of this window

    def bytes_by_source(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for order in self.orders:
            tier = ORIGIN if order.source == ORIGIN else "peer"
            totals[tier] = totals.get(tier, 0) + order.size
        return totals


def schedule(
    plan: Mapping[str, Sequence[K]],
    holdings: Mapping[str, set[K]],
    size_of: Callable[[K], int],
    cap_bytes: int,
) -> FillSchedule[K]:
    """Orders that bring each edge of one region to its plan, at most `cap_bytes` per edge."""
    orders: list[FillOrder[K]] = []
    deferred: list[tuple[str, K]] = []
    for edge, keys in plan.items():
        held = holdings.get(edge, set())
        budget = cap_bytes
        for key in keys:
            if key in held:
                continue
            size = size_of(key)
            if size > budget:
                deferred.append((edge, key))
                continue
            budget -= size
            orders.append(FillOrder(edge, key, size, _source(key, edge, holdings)))
    return FillSchedule(orders, deferred)


def _source(key: K, edge: str, holdings: Mapping[str, set[K]]) -> str:
    for peer, held in holdings.items():
        if peer != edge and key in held:
            return peer
    return ORIGIN
