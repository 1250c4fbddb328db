"""A Redis connection for caches and limits, which must never fail a request or make it hang.

Caches and limiters in Redis are an optimisation and a sharing of state, never the source of
truth: when Redis is down or slow, the caller falls back (a cache reads the source, a limiter
uses its in-process bucket). Every call has a short timeout; a failed call is counted in
`vodstack_redis_fallbacks_total{store, operation}` and pauses Redis for `retry_s`, during which
calls fall back at once instead of each paying a connect timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio
from prometheus_client import CollectorRegistry, Counter
from redis.exceptions import RedisError

from vodstack.config.settings import RedisSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]


class RedisGuard:
    """One Redis client per process and event loop, with fallbacks counted."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "vodstack",
        timeout_s: float = 0.25,
        retry_s: float = 1.0,
        registry: CollectorRegistry | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self._timeout_s = timeout_s
        self._retry_s = retry_s
        self._clock = clock
        self._paused_until = 0.0
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Also kept as plain numbers: tests and `vodstack status` read them without parsing.
        self.fallbacks: Tally[tuple[str, str]] = Tally()
        self._counter = Counter(
            "vodstack_redis_fallbacks_total",
            "Calls to Redis that failed or were skipped while it is paused; the caller fell "
            "back to its source (caches) or its in-process state (rate limits)",
            ["store", "operation"],
            # Its own registry when none is given: the default one would refuse a second guard.
            registry=registry or CollectorRegistry(),
        )

    @classmethod
    def from_settings(
        cls, settings: RedisSettings, registry: CollectorRegistry | None = None
    ) -> RedisGuard | None:
        if settings.url is None:
            return None
        return cls(
            settings.url,
            prefix=settings.prefix,
            timeout_s=settings.timeout_s,
            retry_s=settings.retry_s,
            registry=registry,
        )

    def key(self, *parts: object) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    def client(self) -> Any:
        """The client of the running event loop (redis.asyncio connections belong to one loop;
        a test client or a second server may run the same app on another). `Any`: redis-py's
        stubs type every command as `T | Awaitable[T]`."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = redis.asyncio.Redis.from_url(
                self.url,
                socket_timeout=self._timeout_s,
                socket_connect_timeout=self._timeout_s,
                decode_responses=False,
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client, self._loop = self._client, None, None
        if client is not None:
            await client.aclose()

    @property
    def paused(self) -> bool:
        return self._clock() < self._paused_until

    async def run(
        self, store: str, operation: str, call: Callable[[Any], Awaitable[T]], fallback: T
    ) -> T:
        """`call(client)`, or `fallback` when Redis fails or is paused (counted either way)."""
        if self.paused:
            self._fell_back(store, operation)
            return fallback
        try:
            # The socket timeouts bound each round trip; this bounds a whole call (a script
            # load and its retry, a pool waiting for a connection).
            return await asyncio.wait_for(call(self.client()), timeout=4 * self._timeout_s)
        except (RedisError, OSError, TimeoutError) as exc:
            if not self.paused:
                log.warning(
                    "redis %s unusable (%s); falling back for %.1f s", self.url, exc, self._retry_s
                )
            self._paused_until = self._clock() + self._retry_s
            self._fell_back(store, operation)
            return fallback

    def _fell_back(self, store: str, operation: str) -> None:
        self.fallbacks[(store, operation)] += 1
        self._counter.labels(store, operation).inc()

    def fallback_count(self, store: str | None = None) -> int:
        return sum(n for (name, _), n in self.fallbacks.items() if store in (None, name))
