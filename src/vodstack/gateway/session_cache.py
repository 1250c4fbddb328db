"""Look-aside cache of sessions, so a hot request costs one upstream call instead of two.

In process (the default), staleness is bounded by the TTL (a few seconds): a session logged out
through another gateway instance may be honoured here until its entry expires; changes made
through this gateway invalidate the entry at once. In Redis (`redis.url` set), every gateway
shares the entries, so an invalidation through any of them is seen by all.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from vodstack.contracts.accounts import SessionInfo
from vodstack.core.redis_guard import RedisGuard

Clock = Callable[[], float]


class SessionCache(ABC):
    """Where sessions are cached: in this process, or in Redis shared by every gateway."""

    @abstractmethod
    async def get(self, session_id: str) -> SessionInfo | None:
        """The cached session, or None when absent or expired."""

    @abstractmethod
    async def put(self, info: SessionInfo) -> None:
        """Cache a session fresh from the accounts service."""

    @abstractmethod
    async def invalidate(self, session_id: str) -> None:
        """Forget one session (logout, profile switch)."""

    @abstractmethod
    async def invalidate_account(self, account_id: int) -> None:
        """Forget every session of an account (its profiles or plan changed)."""


class InMemorySessionCache(SessionCache):
    """A small LRU with a TTL, per process."""

    def __init__(
        self, ttl_s: float, *, max_entries: int = 10_000, clock: Clock = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, SessionInfo]] = OrderedDict()
        self._by_account: dict[int, set[str]] = {}

    async def get(self, session_id: str) -> SessionInfo | None:
        entry = self._entries.get(session_id)
        if entry is None:
            return None
        deadline, info = entry
        if self._clock() >= deadline:
            self._drop(session_id)
            return None
        self._entries.move_to_end(session_id)
        return info

    async def put(self, info: SessionInfo) -> None:
        if self._ttl_s <= 0:
            return
        sid = info.session_id
        self._drop(sid)
        self._entries[sid] = (self._clock() + self._ttl_s, info)
        self._by_account.setdefault(info.account.id, set()).add(sid)
        while len(self._entries) > self._max_entries:
            self._drop(next(iter(self._entries)))

    async def invalidate(self, session_id: str) -> None:
        self._drop(session_id)

    async def invalidate_account(self, account_id: int) -> None:
        for sid in self._by_account.pop(account_id, set()):
            self._entries.pop(sid, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, session_id: str) -> None:
        entry = self._entries.pop(session_id, None)
        if entry is None:
            return
        account_id = entry[1].account.id
        sids = self._by_account.get(account_id)
        if sids is not None:
            sids.discard(session_id)
            if not sids:
                del self._by_account[account_id]


# KEYS: the account's set of session ids. ARGV: the prefix of session keys.
_FORGET_ACCOUNT = """
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('DEL', ARGV[1] .. sid)
end
return redis.call('DEL', KEYS[1])
"""


class RedisSessionCache(SessionCache):
    """Sessions in Redis, shared by every gateway instance: a logout or a profile change made
    through one gateway is seen by all of them at once, not after the TTL.

    An entry carries its deadline by `clock` (the contract's expiry, testable with a fake clock)
    and a Redis TTL of the same length (so Redis reclaims it by itself). When Redis is down a
    read is a miss (the gateway asks the accounts service, counted by the guard) and a failed
    invalidation leaves the entry to its TTL: the same bound as the in-process cache.
    """

    def __init__(self, guard: RedisGuard, ttl_s: float, *, clock: Clock = time.time) -> None:
        self._guard = guard
        self._ttl_s = ttl_s
        self._ttl_ms = max(1, math.ceil(ttl_s * 1000))
        self._clock = clock
        self._session_prefix = guard.key("sessions", "s", "")

    def _session_key(self, session_id: str) -> str:
        return self._session_prefix + session_id

    def _account_key(self, account_id: int) -> str:
        return self._guard.key("sessions", "a", account_id)

    async def get(self, session_id: str) -> SessionInfo | None:
        async def read(client: Any) -> bytes | None:
            value: bytes | None = await client.get(self._session_key(session_id))
            return value

        raw = await self._guard.run("sessions", "get", read, None)
        if raw is None:
            return None
        deadline, _, body = raw.partition(b"\n")
        if self._clock() >= float(deadline):
            return None
        return SessionInfo.model_validate_json(body)

    async def put(self, info: SessionInfo) -> None:
        if self._ttl_s <= 0:
            return
        value = f"{self._clock() + self._ttl_s!r}\n".encode() + info.model_dump_json().encode()
        account_key = self._account_key(info.account.id)

        async def write(client: Any) -> None:
            pipe = client.pipeline(transaction=True)
            pipe.set(self._session_key(info.session_id), value, px=self._ttl_ms)
            pipe.sadd(account_key, info.session_id)
            pipe.pexpire(account_key, self._ttl_ms)
            await pipe.execute()

        await self._guard.run("sessions", "put", write, None)

    async def invalidate(self, session_id: str) -> None:
        async def forget(client: Any) -> None:
            await client.delete(self._session_key(session_id))

        await self._guard.run("sessions", "invalidate", forget, None)

    async def invalidate_account(self, account_id: int) -> None:
        async def forget(client: Any) -> None:
            # One script: a session cached meanwhile by another gateway is either gone or was
            # added after the change (so it is fresh).
            await client.eval(
                _FORGET_ACCOUNT, 1, self._account_key(account_id), self._session_prefix
            )

        await self._guard.run("sessions", "invalidate_account", forget, None)
