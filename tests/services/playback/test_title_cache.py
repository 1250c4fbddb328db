"""Playback's titles kept in memory (services/playback/titles.py): asked once, dropped when the
catalog's change feed lists them, never used while the feed cannot vouch for them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.support.clock import FakeMonotonic
from tests.support.playback import FakeCatalog, make_title
from vodstack.clients.catalog import CatalogClient
from vodstack.clients.feed_cache import FeedCache
from vodstack.clients.resilience.transport import ResilientTransport
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.contracts.catalog import Availability, Title
from vodstack.contracts.common import Changes, Maturity
from vodstack.core.errors import NotFound, ServiceUnavailable
from vodstack.services.playback.titles import CachedTitles

FRESH_S = 1.5


class FeedCatalog(FakeCatalog):
    """The fake catalog with a change feed and a count of title reads; `down` fails both."""

    def __init__(self, titles: list[Title]) -> None:
        super().__init__(titles)
        self.feed: list[int] = []  # title ids, in change order (seq = position + 1)
        self.reads = 0
        self.down = False
        self.gate: asyncio.Event | None = None  # when set, a title read waits for it
        self.incomplete = False  # the feed answers "too much changed, start over"

    def change(self, title: Title) -> None:
        self.titles[title.id] = title
        self.feed.append(title.id)

    async def title(self, title_id: int, maturity: Maturity) -> Title:
        if self.down:
            raise ServiceUnavailable("The catalog service is unreachable.", code="x")
        self.reads += 1
        answer = await super().title(title_id, maturity)
        if self.gate is not None:
            await self.gate.wait()
        return answer

    async def changes(self, after: int) -> Changes:
        if self.down:
            raise ServiceUnavailable("The catalog service is unreachable.", code="x")
        if self.incomplete:
            return Changes(cursor=after + 5000, ids=[], complete=False)
        return Changes(cursor=len(self.feed), ids=sorted(set(self.feed[after:])))


class Titles(CachedTitles):
    """The cached titles with their feed cache's `poll` and `kept` at hand."""

    def __init__(self, catalog: FeedCatalog, cache: FeedCache[Title]) -> None:
        super().__init__(catalog, cache)
        self.poll = cache.poll
        self._cache = cache

    @property
    def kept(self) -> int:
        return self._cache.kept


@pytest.fixture
def catalog() -> FeedCatalog:
    return FeedCatalog([make_title(1), make_title(2, maturity=Maturity.ADULT), _processing(3)])


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def titles(catalog: FeedCatalog, clock: FakeMonotonic) -> Titles:
    return Titles(catalog, FeedCache("titles", catalog.changes, fresh_s=FRESH_S, clock=clock))


def _processing(title_id: int) -> Title:
    return make_title(title_id, availability=Availability.PROCESSING)


def test_nothing_is_kept_before_the_feed_is_read(titles: Titles, catalog: FeedCatalog) -> None:
    async def scenario() -> None:
        for _ in range(2):
            await titles.title(1, Maturity.TEEN)
        assert catalog.reads == 2 and titles.kept == 0

    asyncio.run(scenario())


def test_a_title_is_asked_once_then_kept_per_maturity(titles: Titles, catalog: FeedCatalog) -> None:
    async def scenario() -> None:
        await titles.poll()
        for _ in range(3):
            assert (await titles.title(1, Maturity.TEEN)).asset_version == "av1"
        await titles.title(1, Maturity.ADULT)
        assert catalog.reads == 2 and titles.kept == 2
        # The catalog's maturity rule still answers: a title above the viewer's is never kept.
        for _ in range(2):
            with pytest.raises(NotFound):
                await titles.title(2, Maturity.KIDS)
        # A title still processing is asked again every time (it may be published any moment).
        for _ in range(2):
            await titles.title(3, Maturity.TEEN)
        assert catalog.reads == 6 and titles.kept == 2

    asyncio.run(scenario())


def test_a_change_in_the_feed_drops_the_title(titles: Titles, catalog: FeedCatalog) -> None:
    async def scenario() -> None:
        await titles.poll()
        await titles.title(1, Maturity.TEEN)
        await titles.title(2, Maturity.ADULT)
        republished = make_title(1).model_copy(update={"asset_version": "av2", "name": "New cut"})
        catalog.change(republished)
        assert (await titles.title(1, Maturity.TEEN)).asset_version == "av1", "until the next read"
        await titles.poll()
        assert titles.kept == 1, "only the title that changed is dropped"
        answer = await titles.title(1, Maturity.TEEN)
        assert (answer.asset_version, answer.name) == ("av2", "New cut")
        catalog.change(make_title(1, availability=Availability.PROCESSING))
        await titles.poll()
        assert (await titles.title(1, Maturity.TEEN)).asset_version is None

    asyncio.run(scenario())


def test_a_title_read_across_a_drop_is_not_kept(titles: Titles, catalog: FeedCatalog) -> None:
    async def scenario() -> None:
        await titles.poll()
        catalog.gate = asyncio.Event()
        reading = asyncio.create_task(titles.title(1, Maturity.TEEN))
        await asyncio.sleep(0)  # the read has the old title and waits
        catalog.change(make_title(1).model_copy(update={"asset_version": "av2"}))
        await titles.poll()
        catalog.gate.set()
        assert (await reading).asset_version == "av1"
        assert titles.kept == 0, "it may be older than the change the feed just listed"
        catalog.gate = None
        assert (await titles.title(1, Maturity.TEEN)).asset_version == "av2"

    asyncio.run(scenario())


def test_a_feed_that_cannot_be_read_drops_everything(titles: Titles, catalog: FeedCatalog) -> None:
    async def scenario() -> None:
        await titles.poll()
        await titles.title(1, Maturity.TEEN)
        catalog.down = True
        await titles.poll()
        assert titles.kept == 0
        with pytest.raises(ServiceUnavailable):
            await titles.title(1, Maturity.TEEN)  # a dead catalog answers starts as before
        catalog.down = False
        await titles.title(1, Maturity.TEEN)
        assert titles.kept == 0, "nothing is kept until the feed is read again"
        await titles.poll()
        await titles.title(1, Maturity.TEEN)
        assert titles.kept == 1

    asyncio.run(scenario())


def test_a_feed_read_too_long_ago_vouches_for_nothing(
    titles: Titles, catalog: FeedCatalog, clock: FakeMonotonic
) -> None:
    async def scenario() -> None:
        await titles.poll()
        await titles.title(1, Maturity.TEEN)
        clock.now += FRESH_S + 0.1  # the feed's reader stalled
        await titles.title(1, Maturity.TEEN)
        assert catalog.reads == 2

    asyncio.run(scenario())


def test_an_incomplete_answer_drops_everything(titles: Titles, catalog: FeedCatalog) -> None:
    async def scenario() -> None:
        await titles.poll()
        await titles.title(1, Maturity.TEEN)

        catalog.incomplete = True
        await titles.poll()
        assert titles.kept == 0

    asyncio.run(scenario())


def test_a_failing_feed_is_not_answered_stale_by_the_resilient_transport(tmp_path: Path) -> None:
    """The catalog's titles answer a failed read from the last good one; its feed must not, or
    a catalog outage would go on vouching for kept titles. (Nothing changed: the same URL.)"""
    settings = with_secrets(load_settings(data_dir=tmp_path))
    up = True

    def catalog_service(request: httpx.Request) -> httpx.Response:
        if not up:
            return httpx.Response(500)
        return httpx.Response(200, json={"cursor": 0, "ids": [], "complete": True})

    transport = ResilientTransport.over(settings, "catalog", httpx.MockTransport(catalog_service))
    client = CatalogClient.of(settings, "playback", transport=transport)
    cache: FeedCache[Title] = FeedCache("titles", client.changes, fresh_s=FRESH_S)

    async def scenario() -> None:
        nonlocal up
        await cache.poll()
        cache.keep(cache.ticket(), 1, make_title(1), Maturity.TEEN)
        assert cache.get(1, Maturity.TEEN) is not None
        up = False
        await cache.poll()
        assert cache.get(1, Maturity.TEEN) is None and cache.kept == 0
        await client.aclose()

    asyncio.run(scenario())
