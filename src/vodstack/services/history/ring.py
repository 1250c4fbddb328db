"""Consistent hashing with virtual nodes: which shard holds a profile.

Each shard owns `vnodes` points on a 64-bit ring (SHA-1 of `name#i`); a profile belongs to the
first point at or after its own hash. Adding a shard moves only the profiles that land on its
points (about 1/N of them), which keeps a reshard's copy small; virtual nodes even out the
shares (with 64 per shard, each holds within a few tens of percent of 1/N).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Sequence


def _point(text: str) -> int:
    return int.from_bytes(hashlib.sha1(text.encode(), usedforsecurity=False).digest()[:8], "big")


class HashRing:
    def __init__(self, shards: Sequence[str], vnodes: int = 64) -> None:
        if not shards:
            raise ValueError("a ring needs at least one shard")
        self.shards = tuple(shards)
        points = sorted((_point(f"{shard}#{i}"), shard) for shard in shards for i in range(vnodes))
        self._points = [point for point, _ in points]
        self._owners = [shard for _, shard in points]

    def shard_for(self, profile_id: int) -> str:
        index = bisect.bisect_left(self._points, _point(f"profile:{profile_id}"))
        return self._owners[index % len(self._owners)]
