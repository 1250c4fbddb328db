"""SIEVE (Zhang et al., NSDI 2024): FIFO order plus one "visited" bit and a moving hand.

A hit only sets the bit (no reordering, so hits are as cheap as FIFO's). To evict, the hand
walks from the oldest object towards the newest, clearing bits, and stops at the first
object not visited since the hand last passed; it resumes there next time and wraps to the
oldest at the end. New objects enter at the newest end, behind the hand's path, so one-hit
wonders leave quickly while popular objects survive in place.

Objects never move, so the queue is insertion order: a list with tombstones for removed
keys (compacted when half are tombstones) and the hand as an index.
"""

from __future__ import annotations

from vodstack.cdn.cache.eviction import EvictionPolicy, K

_COMPACT_MIN = 64


class SievePolicy(EvictionPolicy[K]):
    """Size-agnostic SIEVE; the byte budget evicts as many victims as an insert needs."""

    def __init__(self) -> None:
        self._slots: list[K | None] = []  # oldest first; None where a key was removed
        self._where: dict[K, int] = {}
        self._visited: set[K] = set()
        self._hand = 0
        self._holes = 0

    def insert(self, key: K, size: int) -> None:
        if key in self._where:
            self.remove(key)
        self._where[key] = len(self._slots)
        self._slots.append(key)

    def touch(self, key: K) -> None:
        if key in self._where:
            self._visited.add(key)

    def remove(self, key: K) -> None:
        index = self._where.pop(key, None)
        if index is None:
            return
        self._slots[index] = None
        self._visited.discard(key)
        self._holes += 1
        if index == self._hand:
            self._step_hand()
        if self._holes > _COMPACT_MIN and self._holes * 2 > len(self._slots):
            self._compact()

    def victim(self) -> K | None:
        if not self._where:
            return None
        slots, visited, hand = self._slots, self._visited, self._hand
        while True:
            if hand >= len(slots):
                hand = 0
            key = slots[hand]
            if key is not None:
                if key not in visited:
                    self._hand = hand
                    return key
                visited.discard(key)
            hand += 1

    def _step_hand(self) -> None:
        # To the next newer object; past the newest, back to the oldest (SIEVE's hand on the
        # victim's predecessor, or the tail when there is none), so objects inserted later
        # are not visited before the ones already older than them.
        slots, hand = self._slots, self._hand + 1
        while hand < len(slots) and slots[hand] is None:
            hand += 1
        self._hand = hand if hand < len(slots) else 0

    def _compact(self) -> None:
        live_before_hand = sum(1 for key in self._slots[: self._hand] if key is not None)
        self._slots = [key for key in self._slots if key is not None]
        self._where = {key: index for index, key in enumerate(self._slots) if key is not None}
        self._hand = live_before_hand
        self._holes = 0

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, key: object) -> bool:
        return key in self._where
