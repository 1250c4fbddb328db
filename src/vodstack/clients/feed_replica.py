"""Every key another service holds, kept in memory as of a point in that service's change feed.

A `FeedCache` keeps the answers to keys someone asked for; it cannot answer a key never asked
for, and that is most of a playback start's keys (a new account's first start asks billing
whether it is billed; it never is, until it subscribes). A `FeedReplica` loads the whole set
once (a snapshot: the feed's cursor, read first, then every key with its value) and follows
the feed from that cursor: a key the feed lists afterwards is marked changed, its value
unknown (ask the service). For any other key, what the replica holds, or its absence, is what
the service held as of the last feed read: the staleness bound of `FeedCache` (one feed
interval plus one call), now also for "this key is absent".

Why cursor first, then keys: a write committed between the two reads is listed by the feed
after the cursor (and may be in the keys too: harmless, it is marked changed); keys first
could miss a write committed between the reads and never listed after the cursor.

Kept only while the feed answers, as `FeedCache`: when the snapshot or the feed cannot be
read, or the last good read is older than `fresh_s`, every key is unknown and callers ask the
service as before (its outage then looks to them as it always did). A gap in the feed
(`complete=False`) or more changed keys than `max_changed` forgets everything; the next poll
loads a new snapshot.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from vodstack.contracts.common import Changes
from vodstack.core.errors import VodstackError

log = logging.getLogger(__name__)

V = TypeVar("V")

# Keys changed since the snapshot are remembered one by one; past this many a new snapshot is
# cheaper than the set (and bounds its memory).
MAX_CHANGED = 100_000


class Unknown(enum.Enum):
    """The replica cannot say: ask the service."""

    UNKNOWN = "unknown"


UNKNOWN = Unknown.UNKNOWN


@dataclass(frozen=True)
class Snapshot(Generic[V]):
    """Every key the service holds with its value, as of `cursor` in its feed; `complete`
    False: the service declined (too many keys), the replica then vouches for nothing."""

    cursor: int
    values: Mapping[int, V]
    complete: bool = True


class FeedReplica(Generic[V]):
    """`get(key)`: the value as of the last feed read, None if the service holds no such key,
    or `UNKNOWN`. `poll` is run by its owner's `Periodic`."""

    def __init__(
        self,
        name: str,
        read_snapshot: Callable[[], Awaitable[Snapshot[V]]],
        read_feed: Callable[[int], Awaitable[Changes]],
        *,
        fresh_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_changed: int = MAX_CHANGED,
    ) -> None:
        self.name = name
        self._read_snapshot = read_snapshot
        self._read_feed = read_feed
        self._fresh_s = fresh_s
        self._clock = clock
        self._max_changed = max_changed
        self._values: Mapping[int, V] = {}
        self._changed: set[int] = set()
        self._cursor: int | None = None  # None: no snapshot held, nothing is vouched for
        self._read_at = -float("inf")
        self._failing = False

    def get(self, key: int) -> V | Unknown | None:
        if not self.current or key in self._changed:
            return UNKNOWN
        return self._values.get(key)

    @property
    def current(self) -> bool:
        """Whether the replica vouches for anything: a snapshot held, the feed read recently."""
        return self._cursor is not None and self._clock() - self._read_at <= self._fresh_s

    async def poll(self) -> None:
        """Load a snapshot if none is held, then read the feed from its cursor."""
        try:
            if self._cursor is None:
                snapshot = await self._read_snapshot()
                if not snapshot.complete:
                    self._forget("the snapshot is too large to hold")
                    return
                self._values, self._changed = snapshot.values, set()
                self._cursor = snapshot.cursor
            changes = await self._read_feed(self._cursor)
        except (VodstackError, ValueError) as exc:
            self._forget(f"the service: {exc}")
            return
        if not changes.complete:
            self._forget("a gap in the change feed; a new snapshot at the next read")
            return
        self._changed.update(changes.ids)
        if len(self._changed) > self._max_changed:
            self._forget("many changes since the snapshot; a new one at the next read")
            return
        self._cursor = changes.cursor
        self._read_at = self._clock()
        if self._failing:
            log.info("%s: held again (%d keys)", self.name, len(self._values))
        self._failing = False

    def _forget(self, why: str) -> None:
        if not self._failing:
            log.warning("%s: nothing is vouched for (%s)", self.name, why)
        self._failing = True
        self._cursor = None
        self._values, self._changed = {}, set()
