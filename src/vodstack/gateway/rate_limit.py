"""Per-client token buckets for the expensive, abusable routes (login, sign-up)."""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable

from vodstack.config.settings import RateLimit
from vodstack.core.errors import TooManyRequests

Clock = Callable[[], float]


class RateLimiter(ABC):
    """Where the buckets live (in-process now; a shared store such as Redis later)."""

    @abstractmethod
    async def acquire(self, key: str) -> float:
        """Take one token for `key`: 0.0 when allowed, else seconds until one is available."""

    async def check(self, key: str, action: str) -> None:
        """Take a token or raise `TooManyRequests` telling the client when to retry."""
        wait_s = await self.acquire(key)
        if wait_s > 0:
            retry_after = math.ceil(wait_s)
            raise TooManyRequests(
                f"Too many {action} attempts from your network; "
                f"please wait {retry_after} s and try again.",
                retry_after=retry_after,
            )


class InMemoryRateLimiter(RateLimiter):
    """Token buckets in a bounded LRU, per process.

    When more than `max_clients` clients are tracked, the least recently seen one is forgotten;
    that only ever gives a quiet client a fresh bucket, and keeps memory bounded under a flood
    of distinct addresses.
    """

    def __init__(
        self, limit: RateLimit, *, max_clients: int = 10_000, clock: Clock = time.monotonic
    ) -> None:
        self._burst = float(limit.burst)
        self._rate_per_s = limit.per_minute / 60.0
        self._max_clients = max_clients
        self._clock = clock
        # key -> (tokens left, time of last update)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def acquire(self, key: str) -> float:
        now = self._clock()
        tokens, updated = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - updated) * self._rate_per_s)
        wait_s = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait_s = (1.0 - tokens) / self._rate_per_s
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return wait_s

    def __len__(self) -> int:
        return len(self._buckets)
