"""Rendezvous (highest-random-weight) hashing: a stable, load-aware order of nodes per key.

Every node gets a pseudo-random score per key; the order is by score. Adding or removing a
node moves only the keys that node wins, and a weight below 1 (a busy node) makes a node win
proportionally fewer keys: score = -weight / ln(u), u uniform in (0, 1) from the hash.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
_SCALE = float(2**64)


def _unit(key: str, node: str) -> float:
    digest = hashlib.blake2b(f"{key}\x00{node}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") + 0.5) / _SCALE


def score(key: str, node: str, weight: float = 1.0) -> float:
    return -weight / math.log(_unit(key, node))


def rendezvous_order(
    key: str,
    nodes: Sequence[T],
    *,
    name: Callable[[T], str],
    weight: Callable[[T], float] = lambda node: 1.0,
) -> list[T]:
    """`nodes` ordered best-first for `key`."""
    return sorted(nodes, key=lambda node: score(key, name(node), weight(node)), reverse=True)
