"""Another service's answers kept in memory, dropped by that service's change feed.

What a hot request asks another service for often changes only when someone writes there (a
title is published, a subscription is cancelled). That service lists every committed change
in its feed (core/change_feed.py); `FeedCache` keeps answers under the id the feed names and
reads the feed every interval (`poll`, run by its owner's `Periodic`), dropping what it lists.
A change reaches the readers within one interval plus one call.

Kept only while the feed answers: when it cannot be read, or its last good read is older than
`fresh_s` (the reading task stalled), nothing is answered from memory and every request asks
the service again, so an outage of that service looks to callers as it always did. A value
asked for across a drop is not kept: it may predate the change the drop was for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from vodstack.contracts.common import Changes
from vodstack.core.errors import VodstackError

log = logging.getLogger(__name__)

V = TypeVar("V")
Variant = Hashable

# A bound on memory, not a policy: past it the cache starts over (the hot keys come back).
MAX_ENTRIES = 50_000


class FeedCache(Generic[V]):
    """Values under (id, variant); a feed entry for an id drops all of its variants."""

    def __init__(
        self,
        name: str,
        read_feed: Callable[[int], Awaitable[Changes]],
        *,
        fresh_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.name = name
        self._max_entries = max_entries
        self._read_feed = read_feed
        self._fresh_s = fresh_s
        self._clock = clock
        self._values: dict[int, dict[Variant, V]] = {}
        self._size = 0
        self._cursor: int | None = None  # None: the feed was never read, nothing is kept
        self._read_at = -float("inf")
        self._epoch = 0  # moves at every drop

    def get(self, key: int, variant: Variant = None) -> V | None:
        """The kept value, if the feed still vouches for it."""
        if not self._vouched():
            return None
        return self._values.get(key, {}).get(variant)

    def ticket(self) -> int:
        """Taken before asking the service: `keep` with it keeps nothing if a drop came between."""
        return self._epoch

    def keep(self, ticket: int, key: int, value: V, variant: Variant = None) -> None:
        if ticket != self._epoch or not self._vouched():
            return
        if self._size >= self._max_entries:
            self._values.clear()  # nothing goes stale by it: no epoch to move
            self._size = 0
        variants = self._values.setdefault(key, {})
        self._size += variant not in variants
        variants[variant] = value

    @property
    def kept(self) -> int:
        return self._size

    async def poll(self) -> None:
        """Read the feed once: drop what changed; drop everything when it cannot be read."""
        try:
            changes = await self._read_feed(self._cursor or 0)
        except (VodstackError, ValueError) as exc:
            if self._cursor is not None:
                log.warning("%s: nothing is kept (the change feed: %s)", self.name, exc)
            self._drop_all()
            self._cursor = None
            return
        if self._cursor is None or not changes.complete:
            self._drop_all()
        elif changes.ids:
            self._epoch += 1
            for key in changes.ids:
                self._size -= len(self._values.pop(key, {}))
        self._cursor = changes.cursor
        self._read_at = self._clock()

    def _vouched(self) -> bool:
        return self._cursor is not None and self._clock() - self._read_at <= self._fresh_s

    def _drop_all(self) -> None:
        self._epoch += 1
        self._values.clear()
        self._size = 0
