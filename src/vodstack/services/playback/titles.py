"""The titles a start plays, kept in memory and dropped by the catalog's change feed.

A start needs the title's playable version, name and length: until this cache, a call to the
catalog on every start, a third of the start's upstream calls. Titles change rarely (an admin
edits one, the pipeline publishes a version), and the catalog lists every committed change in
its feed (services/catalog/changes.py), so a kept title stays right until the feed says it
changed. The feed is read every `playback.title_feed_s` (0.5 s): a change reaches starts within
that, plus one call.

Kept only while the feed answers: when the catalog cannot be read, everything is dropped and
every start asks the catalog again, so a catalog outage answers starts as it always did (503
`upstream_unreachable`), one feed interval later at most. Only playable titles are kept (a
title still processing is asked again), keyed by title and maturity (the catalog's answer
depends on the viewer's maturity: a title above it is a 404).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from vodstack.contracts.catalog import Availability, Title, TitleChanges
from vodstack.contracts.common import Maturity
from vodstack.core.errors import VodstackError

log = logging.getLogger(__name__)

# A bound on memory, not a policy: past it nothing more is kept until the next drop.
MAX_TITLES = 50_000


class TitleFeed(Protocol):
    """The catalog, as the cache uses it (clients.catalog.CatalogClient)."""

    async def title(self, title_id: int, maturity: Maturity) -> Title: ...

    async def changes(self, after: int) -> TitleChanges: ...


class CachedTitles:
    """`title` as the catalog answers it, from memory while the change feed vouches for it."""

    def __init__(
        self, catalog: TitleFeed, *, fresh_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._catalog = catalog
        self._fresh_s = fresh_s  # a feed read older than this vouches for nothing
        self._clock = clock
        self._titles: dict[int, dict[Maturity, Title]] = {}
        self._size = 0
        self._cursor: int | None = None  # None: the feed was never read, nothing is kept
        self._read_at = -float("inf")
        # Moves at every drop: a title fetched before a drop may predate the change dropped.
        self._epoch = 0

    async def title(self, title_id: int, maturity: Maturity) -> Title:
        if self._vouched():
            kept = self._titles.get(title_id, {}).get(maturity)
            if kept is not None:
                return kept
        epoch = self._epoch
        title = await self._catalog.title(title_id, maturity)
        if epoch == self._epoch and self._vouched() and _playable(title):
            self._keep(title_id, maturity, title)
        return title

    async def poll(self) -> None:
        """Read the feed once: drop what changed; drop everything when it cannot be read."""
        try:
            changes = await self._catalog.changes(self._cursor or 0)
        except (VodstackError, ValueError) as exc:
            if self._cursor is not None:
                log.warning("titles are not kept (the catalog's change feed: %s)", exc)
            self._drop_all()
            self._cursor = None
            return
        if self._cursor is None or not changes.complete:
            self._drop_all()
        else:
            self._drop(changes.title_ids)
        self._cursor = changes.cursor
        self._read_at = self._clock()

    @property
    def kept(self) -> int:
        """How many titles are kept (one per title and maturity)."""
        return self._size

    def _vouched(self) -> bool:
        return self._cursor is not None and self._clock() - self._read_at <= self._fresh_s

    def _keep(self, title_id: int, maturity: Maturity, title: Title) -> None:
        if self._size >= MAX_TITLES:
            return
        by_maturity = self._titles.setdefault(title_id, {})
        self._size += maturity not in by_maturity
        by_maturity[maturity] = title

    def _drop(self, title_ids: list[int]) -> None:
        if not title_ids:
            return
        self._epoch += 1
        for title_id in title_ids:
            self._size -= len(self._titles.pop(title_id, {}))

    def _drop_all(self) -> None:
        self._epoch += 1
        self._titles.clear()
        self._size = 0


def _playable(title: Title) -> bool:
    return title.availability is Availability.AVAILABLE and title.asset_version is not None
