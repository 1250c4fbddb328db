"""Slow, obviously-correct caches, one per eviction policy, written from the papers' prose.

Each holds plain lists (oldest first) and recomputes byte totals by summing, so it can be
read against the published algorithm line by line. `tests/cdn/test_eviction_contract.py`
checks that `ByteBudget` with the real policy hits and evicts exactly like these.
"""

from __future__ import annotations


class ReferenceCache:
    """`access(key, size)` returns (hit, keys evicted to admit it)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.size: dict[int, int] = {}

    def held(self) -> list[int]:
        raise NotImplementedError

    def bytes_of(self, keys: list[int]) -> int:
        return sum(self.size[key] for key in keys)

    def access(self, key: int, size: int) -> tuple[bool, list[int]]:
        if key in self.held():
            self.hit(key)
            return True, []
        if size > self.capacity:
            return False, []
        evicted = []
        while self.bytes_of(self.held()) + size > self.capacity:
            evicted.append(self.evict())
        self.size[key] = size
        self.admit(key)
        return False, evicted

    def hit(self, key: int) -> None:
        raise NotImplementedError

    def evict(self) -> int:
        raise NotImplementedError

    def admit(self, key: int) -> None:
        raise NotImplementedError


class ReferenceFifo(ReferenceCache):
    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.queue: list[int] = []

    def held(self) -> list[int]:
        return self.queue

    def hit(self, key: int) -> None:
        pass

    def evict(self) -> int:
        return self.queue.pop(0)

    def admit(self, key: int) -> None:
        self.queue.append(key)


class ReferenceLru(ReferenceFifo):
    def hit(self, key: int) -> None:
        self.queue.remove(key)
        self.queue.append(key)


class ReferenceSieve(ReferenceCache):
    """A queue, newest at the end; the hand walks old -> new, wrapping, clearing bits."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.queue: list[int] = []
        self.visited: dict[int, bool] = {}
        self.hand: int | None = None  # index into queue; None = start at the oldest

    def held(self) -> list[int]:
        return self.queue

    def hit(self, key: int) -> None:
        self.visited[key] = True

    def evict(self) -> int:
        index = 0 if self.hand is None else self.hand
        while self.visited[self.queue[index]]:
            self.visited[self.queue[index]] = False
            index = index + 1 if index + 1 < len(self.queue) else 0
        key = self.queue.pop(index)
        # The hand stays on the object after the victim (now at `index`), or restarts.
        self.hand = index if index < len(self.queue) else None
        return key

    def admit(self, key: int) -> None:
        self.queue.append(key)
        self.visited[key] = False


class ReferenceS3Fifo(ReferenceCache):
    """Small FIFO S (10 % of the bytes), main FIFO M with reinsertion, ghost FIFO G."""

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self.small: list[int] = []
        self.main: list[int] = []
        self.ghost: list[int] = []
        self.freq: dict[int, int] = {}

    def held(self) -> list[int]:
        return self.small + self.main

    def hit(self, key: int) -> None:
        self.freq[key] = min(self.freq[key] + 1, 3)

    def evict(self) -> int:
        while True:
            small, main = self.bytes_of(self.small), self.bytes_of(self.main)
            if self.small and (not self.main or small >= 0.1 * (small + main)):
                key = self.small.pop(0)
                if self.freq[key] >= 1:  # hit while on probation: into M
                    self.main.append(key)
                    self.freq[key] = 0
                    continue
                self.ghost.append(key)
                while self.bytes_of(self.ghost) > self.bytes_of(self.held()):
                    self.ghost.pop(0)
                return key
            key = self.main.pop(0)
            if self.freq[key] > 0:
                self.freq[key] -= 1
                self.main.append(key)
                continue
            return key

    def admit(self, key: int) -> None:
        self.freq[key] = 0
        if key in self.ghost:
            self.ghost.remove(key)
            self.main.append(key)
        else:
            self.small.append(key)
