"""S3-FIFO (Yang et al., SOSP 2023), size-aware: a small probation queue, a main queue, ghosts.

New objects enter the small queue S. When S holds at least `small_share` of the tracked
bytes, its oldest object is evicted unless it was hit while in S, in which case it moves
to the main queue M; evicted objects are remembered (key only) in the ghost queue G. An
object whose key is in G when it comes back goes straight to M. M is a FIFO with
reinsertion: its oldest object is re-queued with its hit count minus one while the count is
positive (a count capped at 3), else evicted. Most one-hit wonders thus leave after a short
stay in S without disturbing M, the usual case for segments of abandoned sessions.

Sizes: S's share and G's length are in bytes; G remembers at most as many bytes as the
cache tracks, dropping its oldest ghosts first.
"""

from __future__ import annotations

from collections import OrderedDict

from vodstack.cdn.cache.eviction import EvictionPolicy, K

MAX_FREQ = 3


class S3FifoPolicy(EvictionPolicy[K]):
    """S3-FIFO over bytes; `promote_at` hits in S earn a place in M."""

    def __init__(self, small_share: float = 0.1, promote_at: int = 1) -> None:
        self._small_share = small_share
        self._promote_at = promote_at
        self._small: OrderedDict[K, int] = OrderedDict()  # key -> size, oldest first
        self._main: OrderedDict[K, int] = OrderedDict()
        self._ghost: OrderedDict[K, int] = OrderedDict()
        self._freq: dict[K, int] = {}
        self._small_bytes = 0
        self._main_bytes = 0
        self._ghost_bytes = 0
        self._pending: K | None = None  # the victim named last, evicted if removed next

    def insert(self, key: K, size: int) -> None:
        if key in self._freq:
            self.remove(key)
        self._pending = None
        self._freq[key] = 0
        ghost_size = self._ghost.pop(key, None)
        if ghost_size is not None:
            self._ghost_bytes -= ghost_size
            self._main[key] = size
            self._main_bytes += size
        else:
            self._small[key] = size
            self._small_bytes += size

    def touch(self, key: K) -> None:
        freq = self._freq.get(key)
        if freq is not None and freq < MAX_FREQ:
            self._freq[key] = freq + 1

    def remove(self, key: K) -> None:
        if self._freq.pop(key, None) is None:
            return
        evicted = key == self._pending
        self._pending = None
        size = self._small.pop(key, None)
        if size is None:
            self._main_bytes -= self._main.pop(key)
            return
        self._small_bytes -= size
        if evicted:
            self._remember(key, size)

    def victim(self) -> K | None:
        if self._pending is None and self._freq:
            self._pending = self._choose()
        return self._pending

    def _choose(self) -> K:
        small, main, freq = self._small, self._main, self._freq
        while True:
            total = self._small_bytes + self._main_bytes
            if small and (not main or self._small_bytes >= self._small_share * total):
                key, size = next(iter(small.items()))
                if freq[key] < self._promote_at:
                    return key
                del small[key]
                self._small_bytes -= size
                main[key] = size
                self._main_bytes += size
                freq[key] = 0
            else:
                key = next(iter(main))
                if freq[key] == 0:
                    return key
                freq[key] -= 1
                main.move_to_end(key)

    def _remember(self, key: K, size: int) -> None:
        self._ghost[key] = size
        self._ghost_bytes += size
        limit = self._small_bytes + self._main_bytes
        while self._ghost_bytes > limit and self._ghost:
            _key, dropped = self._ghost.popitem(last=False)
            self._ghost_bytes -= dropped

    def __len__(self) -> int:
        return len(self._freq)

    def __contains__(self, key: object) -> bool:
        return key in self._freq
