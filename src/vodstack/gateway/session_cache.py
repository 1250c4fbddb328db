"""Look-aside cache of sessions, so a hot request costs one upstream call instead of two.

Staleness is bounded by the TTL (a few seconds): a session logged out through another gateway
instance may be honoured here until its entry expires. Changes made through this gateway
invalidate the entry at once.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable

from vodstack.contracts.accounts import SessionInfo

Clock = Callable[[], float]


class SessionCache(ABC):
    """Where sessions are cached (in-process now; a shared store such as Redis later)."""

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
