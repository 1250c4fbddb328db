"""The look-aside cache in front of the shards: reads try it first, load on a miss and fill it;
writes invalidate the profile they touched.

A read that started before an invalidation must not put its (now stale) answer back: each key
has a generation bumped by `invalidate`, and `put` is ignored when the generation moved since
the read began.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LookAsideCache(Generic[V]):
    def __init__(
        self, ttl_s: float, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._generations: dict[Hashable, int] = {}
        self._epoch = 0  # bumped by `clear`: a fill begun before it is dropped too
        self.hits = 0
        self.misses = 0

    def peek(self, key: Hashable) -> V | None:
        """The fresh entry for `key`, or None; never loads (for the event loop)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                return None
            self.hits += 1
            return entry[1]

    def get_or_load(self, key: Hashable, load: Callable[[], V]) -> V:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > self._clock():
                self.hits += 1
                return entry[1]
            self.misses += 1
            before = (self._epoch, self._generations.get(key, 0))
        value = load()
        with self._lock:
            if (self._epoch, self._generations.get(key, 0)) == before and self._ttl_s > 0:
                if len(self._entries) >= self._max_keys:
                    self._entries.clear()  # crude but bounded; the shards stay the truth
                self._entries[key] = (self._clock() + self._ttl_s, value)
        return value

    def clear(self) -> None:
        """Forget every entry (a reshard's cut-over); reads racing it put nothing back."""
        with self._lock:
            self._epoch += 1
            self._entries.clear()

    def invalidate(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._generations[key] = self._generations.get(key, 0) + 1
