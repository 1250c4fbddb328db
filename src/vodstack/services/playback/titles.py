"""The titles a start plays, kept in memory and dropped by the catalog's change feed.

A start needs the title's playable version, name and length: until this cache, a call to the
catalog on every start, a third of the start's upstream calls. Titles change rarely (an admin
edits one, the pipeline publishes a version) and the catalog lists every committed change in
its feed (services/catalog/changes.py), read every `playback.change_feed_s` (clients.feed_cache):
a change reaches starts within that interval plus one call.

When the feed cannot be read nothing is kept and every start asks the catalog, so a catalog
outage answers starts as it always did (503). Only playable titles are kept (a title still
processing is asked again), under title and maturity (the catalog's answer depends on the
viewer's maturity: a title above it is a 404).
"""

from __future__ import annotations

from typing import Protocol

from vodstack.clients.feed_cache import FeedCache
from vodstack.contracts.catalog import Availability, Title
from vodstack.contracts.common import Changes, Maturity


class TitleFeed(Protocol):
    """The catalog, as the cache uses it (clients.catalog.CatalogClient)."""

    async def title(self, title_id: int, maturity: Maturity) -> Title: ...

    async def changes(self, after: int) -> Changes: ...


class CachedTitles:
    """`title` as the catalog answers it, from memory while the change feed vouches for it."""

    def __init__(self, catalog: TitleFeed, cache: FeedCache[Title]) -> None:
        self._catalog = catalog
        self._cache = cache

    async def title(self, title_id: int, maturity: Maturity) -> Title:
        kept = self._cache.get(title_id, maturity)
        if kept is not None:
            return kept
        ticket = self._cache.ticket()
        title = await self._catalog.title(title_id, maturity)
        if title.availability is Availability.AVAILABLE and title.asset_version is not None:
            self._cache.keep(ticket, title_id, title, maturity)
        return title
