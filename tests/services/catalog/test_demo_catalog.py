"""The demo catalog: its content rules, and seeding through the real client, idempotently."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from fastapi import FastAPI

from tests.support.service_tokens import credentials
from vodstack.clients.catalog import CatalogClient
from vodstack.config.settings import Settings
from vodstack.contracts.catalog import TitleKind
from vodstack.contracts.common import Maturity
from vodstack.demo.catalog import DEMO_TITLES, seed_catalog


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
