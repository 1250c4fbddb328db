"""The resume points starts ask history for, kept in memory and dropped by history's feed.

Every start asks history where the profile left the title: a call per start, the other half
of a start's upstream CPU beside billing's. A resume point changes only when history applies
the profile's viewing events, and history lists each applied batch's profiles in its changes
feed once the batch is readable (services/history/changes.py, `GET /v1/profiles/changes`),
read every `playback.change_feed_s` (clients.feed_cache): a profile absent from the feed since
an answer was read has no newer position, so the answer stands. A new position (a stop, a
heartbeat) reaches the next start within that interval plus one call: history's own lag from
the player's event to the applied batch is already longer.

Kept per profile and title, "never played" (None) included. Only answers history gave: a
failure or timeout is not kept and starts at 0 as before; when the feed cannot be read nothing
is kept and every start asks history, as before this cache.

The cache answers only profiles that started the title before; a new account's profiles never
did. `HistoryReplica` holds every profile with a position as of a point in the same feed
(clients/feed_replica.py, `GET /v1/profiles/watched`): a profile absent from it and not named
by the feed since has played nothing, so its start plays from 0 without a call, with the same
staleness bound. Any other profile is answered by the cache or asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from vodstack.clients.feed_cache import FeedCache
from vodstack.clients.feed_replica import FeedReplica, Snapshot
from vodstack.contracts.common import Changes
from vodstack.contracts.history import Position, WatchedProfiles

#: A kept answer: the position, or None for a title the profile never played.
Kept = tuple[Position | None]


class ResumeFeed(Protocol):
    """History, as the cache uses it (clients.history.HistoryClient)."""

    async def resume_point(self, profile_id: int, title_id: int) -> Position | None: ...

    async def changes(self, after: int) -> Changes: ...


class WatchedFeed(ResumeFeed, Protocol):
    """History with its snapshot of the profiles with positions (clients.history)."""

    async def watched(self) -> WatchedProfiles: ...


class HistoryReplica(FeedReplica[bool]):
    """Every profile with a position, as of history's changes feed (see above)."""

    def __init__(
        self, history: WatchedFeed, *, fresh_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        async def snapshot() -> Snapshot[bool]:
            watched = await history.watched()
            return Snapshot(watched.cursor, dict.fromkeys(watched.profiles, True), watched.complete)

        super().__init__(
            "watched profiles", snapshot, history.changes, fresh_s=fresh_s, clock=clock
        )


class CachedResumePoints:
    """`resume_point` as history answers it, from memory while its feed vouches for it."""

    def __init__(
        self,
        history: ResumeFeed,
        cache: FeedCache[Kept],
        replica: HistoryReplica | None = None,
    ) -> None:
        self._history = history
        self._cache = cache
        self._replica = replica

    async def resume_point(self, profile_id: int, title_id: int) -> Position | None:
        kept = self._cache.get(profile_id, title_id)
        if kept is not None:
            return kept[0]
        if self._replica is not None and self._replica.get(profile_id) is None:
            return None  # the profile has played nothing
        ticket = self._cache.ticket()
        point = await self._history.resume_point(profile_id, title_id)
        self._cache.keep(ticket, profile_id, (point,), title_id)
        return point
