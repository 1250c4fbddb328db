"""The demo catalog: its content rules, and seeding through the real client, idempotently."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from fastapi import FastAPI

from tests.support.service_tokens import credentials
from vodstack.clients.catalog import CatalogClient
from vodstack.config.settings import Settings
from vodstack.contracts.catalog import Availability, TitleKind
from vodstack.contracts.common import Maturity
from vodstack.demo.catalog import DEMO_TITLES, seed_catalog
from vodstack.demo.media import media_targets


def test_demo_titles_cover_levels_genres_and_series() -> None:
    levels = Counter(title.maturity for title in DEMO_TITLES)
    genres = {genre for title in DEMO_TITLES for genre in title.genres}
    series = [title for title in DEMO_TITLES if title.kind is TitleKind.SERIES]

    assert len(DEMO_TITLES) >= 16
    assert len({title.name for title in DEMO_TITLES}) == len(DEMO_TITLES)
    assert len(genres) >= 5
    assert levels[Maturity.KIDS] >= 4
    assert levels[Maturity.ADULT] >= 4
    assert len(series) >= 3
    assert all(season.episodes for title in series for season in title.seasons)


def test_demo_titles_fit_the_demo_media() -> None:
    for title in DEMO_TITLES:
        assert 1995 <= title.year <= 2026, title.name
        assert title.synopsis and title.cast, title.name
        if title.kind is TitleKind.MOVIE:
            assert 30 <= title.duration_s <= 120, title.name
            assert not title.seasons, title.name


async def _seed_twice(app: FastAPI, settings: Settings) -> tuple[int, int, int]:
    client = CatalogClient(
        "http://catalog", credentials=credentials(settings), transport=httpx.ASGITransport(app=app)
    )
    try:
        first = await seed_catalog(client)
        second = await seed_catalog(client)
        listed = await client.titles(Maturity.ADULT, limit=100, unpublished=True)
    finally:
        await client.aclose()
    return first, second, listed.total


def test_seeding_is_idempotent(app: FastAPI, settings: Settings) -> None:
    first, second, total = asyncio.run(_seed_twice(app, settings))

    assert first == len(DEMO_TITLES)
    assert second == 0
    assert total == len(DEMO_TITLES)


def test_seeded_kids_catalog_holds_no_adult_title(app: FastAPI, settings: Settings) -> None:
    async def kids_view() -> tuple[set[Maturity], list[int]]:
        client = CatalogClient(
            "http://catalog",
            credentials=credentials(settings),
            transport=httpx.ASGITransport(app=app),
        )
        try:
            await seed_catalog(client)
            page = await client.titles(Maturity.KIDS, limit=100, unpublished=True)
            genres = await client.genres(Maturity.KIDS, unpublished=True)
        finally:
            await client.aclose()
        return {item.maturity for item in page.items}, [g.count for g in genres]

    levels, counts = asyncio.run(kids_view())

    kids_titles = sum(1 for title in DEMO_TITLES if title.maturity is Maturity.KIDS)
    assert levels == {Maturity.KIDS}
    assert max(counts) <= kids_titles


async def _demo_media_targets(app: FastAPI, settings: Settings) -> None:
    client = CatalogClient(
        "http://catalog", credentials=credentials(settings), transport=httpx.ASGITransport(app=app)
    )
    try:
        await seed_catalog(client)
        listed = (await client.titles(Maturity.ADULT, limit=100, unpublished=True)).items
        series = {t.id for t in listed if t.kind is TitleKind.SERIES}
        movies = {t.id for t in listed if t.kind is TitleKind.MOVIE}
        episodes = {  # episode id -> its series
            ep.id: title_id
            for title_id in sorted(series)
            for season in (await client.title(title_id, Maturity.ADULT, unpublished=True)).seasons
            for ep in season.episodes
            if ep.id is not None
        }
        published, busy = list(episodes)[:2]  # one has media already, one a job under way
        await client.set_availability(published, Availability.AVAILABLE, "v1")
        targets = await media_targets(client, {busy})
    finally:
        await client.aclose()
    ids = [t.id for t in targets]

    assert len(ids) == len(set(ids))
    assert set(ids) == movies | (set(episodes) - {published, busy})  # never a series itself
    # The first pass: one master per listed title (a series' first episode still waiting).
    first_pass = ids[: len(movies) + len(series)]
    assert {episodes.get(i, i) for i in first_pass} == movies | series
    assert all("S1:E" in t.name or "S2:E" in t.name for t in targets if t.id in episodes)


def test_demo_media_goes_to_every_episode_each_title_first(
    app: FastAPI, settings: Settings
) -> None:
    """A series gets no master of its own: each episode does, so episodes play one by one;
    every listed title's first master comes before any series' later episodes."""
    asyncio.run(_demo_media_targets(app, settings))
