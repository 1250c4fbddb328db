"""Per-client token buckets for the expensive, abusable routes (login, sign-up)."""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from vodstack.config.settings import RateLimit
from vodstack.core.errors import TooManyRequests
from vodstack.core.redis_guard import RedisGuard

Clock = Callable[[], float]


class RateLimiter(ABC):
    """Where the buckets live: in this process, or in Redis shared by every gateway."""

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


# A token bucket per key, updated in one atomic step. KEYS: the bucket. ARGV: now ('' = the
# Redis server's clock, one clock for every gateway host), burst, refill per second, key TTL ms.
_ACQUIRE = """
local now = tonumber(ARGV[1])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local burst = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(bucket[1]) or burst
local updated = tonumber(bucket[2]) or now
if now > updated then
  tokens = math.min(burst, tokens + (now - updated) * rate)
  updated = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(updated))
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return tostring(wait)
"""


class RedisRateLimiter(RateLimiter):
    """Token buckets in Redis, shared by every gateway instance: a client spreading its
    attempts over gateways gets the one limit, not one per gateway.

    Each acquire is one Lua script (read, refill, take, write: atomic, so concurrent gateways
    never both take the last token). A bucket's key expires once it would be full again, which
    bounds Redis's memory. While Redis is down each gateway falls back to its own in-process
    buckets (counted by the guard): limits keep holding per instance rather than vanishing.
    `clock` None = the Redis server's clock.
    """

    def __init__(
        self, guard: RedisGuard, limit: RateLimit, name: str, *, clock: Clock | None = None
    ) -> None:
        self._guard = guard
        self._name = name
        self._clock = clock
        self._burst = float(limit.burst)
        self._rate_per_s = limit.per_minute / 60.0
        self._ttl_ms = math.ceil(self._burst / self._rate_per_s * 1000) + 1000
        self._local = InMemoryRateLimiter(limit, clock=clock or time.monotonic)

    async def acquire(self, key: str) -> float:
        now = "" if self._clock is None else repr(self._clock())
        args = [now, repr(self._burst), repr(self._rate_per_s), self._ttl_ms]

        async def take(client: Any) -> float | None:
            bucket = self._guard.key("limits", self._name, key)
            wait = await client.eval(_ACQUIRE, 1, bucket, *args)
            return float(wait)

        wait_s = await self._guard.run("rate_limits", "acquire", take, None)
        if wait_s is None:
            return await self._local.acquire(key)
        return wait_s
