"""A series' title page: each episode's progress and which one Play starts, from the history
service's resume points (served here by a stand-in history service over the client's transport)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from tests.support.service_tokens import credentials
from vodstack.clients.history import HistoryClient
from vodstack.config.settings import Settings
from vodstack.contracts.catalog import Availability, Episode, Season, Title, TitleKind
from vodstack.contracts.common import Maturity
from vodstack.contracts.history import Position
from vodstack.gateway.web.episodes import SeriesProgress, movie_progress, series_progress

PROFILE = 7


def _series() -> Title:
    episodes = [
        Episode(number=n, name=f"E{n}", id=100 + n, availability=Availability.AVAILABLE)
        for n in (1, 2, 3)
    ]
    now = datetime.now(UTC)
    return Title(
        id=1, name="Tides", kind=TitleKind.SERIES, year=2020, maturity=Maturity.TEEN,
        genres=["Drama"], synopsis="", duration_s=0, availability=Availability.AVAILABLE,
        artwork_url="/artwork/1/image", seasons=[Season(number=1, episodes=episodes)],
        cast=[], asset_version=None, created_at=now, updated_at=now,
    )  # fmt: skip


def _movie() -> Title:
    return _series().model_copy(update={"id": 200, "kind": TitleKind.MOVIE, "seasons": [],
                                        "duration_s": 100, "asset_version": "v1"})  # fmt: skip


def _progress(
    settings: Settings, positions: dict[int, Position], *, movie: bool = False, down: bool = False
) -> SeriesProgress:
    def history(request: httpx.Request) -> httpx.Response:
        if down:
            error = {"code": "unavailable", "message": "down", "request_id": "t", "details": {}}
            return httpx.Response(503, json={"error": error})
        title_id = int(request.url.path.rsplit("/", 1)[1])
        if title_id not in positions:
            error = {"code": "no_history", "message": "never played", "request_id": "t"}
            return httpx.Response(404, json={"error": {**error, "details": {}}})
        return httpx.Response(200, content=positions[title_id].model_dump_json())

    async def run() -> SeriesProgress:
        client = HistoryClient(
            "http://history",
            credentials=credentials(settings),
            transport=httpx.MockTransport(history),
        )
        try:
            if movie:
                return await movie_progress(client, PROFILE, _movie())
            return await series_progress(client, PROFILE, _series())
        finally:
            await client.aclose()

    return asyncio.run(run())


def _at(title_id: int, position_s: float, *, watched: bool, minute: int) -> Position:
    at = datetime(2026, 1, 1, 12, minute, tzinfo=UTC)
    return Position(profile_id=PROFILE, title_id=title_id, position_s=position_s,
                    duration_s=100.0, watched=watched, updated_at=at)  # fmt: skip


def test_a_finished_episode_shows_a_full_bar_even_when_started_again(settings: Settings) -> None:
    # E1 finished, then opened again from the top (its position back at 0); E2 a quarter in.
    got = _progress(
        settings,
        {101: _at(101, 0.0, watched=True, minute=5), 102: _at(102, 25.0, watched=False, minute=1)},
    )
    assert got.progress == {101: 1.0, 102: 0.25}
    assert got.up_next is not None and got.up_next.episode.id == 102 and got.resuming


def test_play_starts_after_the_last_finished_episode(settings: Settings) -> None:
    got = _progress(settings, {101: _at(101, 100.0, watched=True, minute=1)})
    assert got.progress == {101: 1.0}
    assert got.up_next is not None and got.up_next.episode.id == 102 and not got.resuming


def test_a_movie_started_and_not_finished_resumes(settings: Settings) -> None:
    got = _progress(settings, {200: _at(200, 40.0, watched=False, minute=1)}, movie=True)
    assert got.progress == {200: 0.4} and got.resuming and got.up_next is None


def test_a_movie_finished_or_never_played_starts_at_the_top(settings: Settings) -> None:
    watched = _progress(settings, {200: _at(200, 100.0, watched=True, minute=1)}, movie=True)
    assert watched.progress == {200: 1.0} and not watched.resuming
    never = _progress(settings, {}, movie=True)
    assert never.progress == {} and not never.resuming
    at_zero = _progress(settings, {200: _at(200, 0.0, watched=False, minute=1)}, movie=True)
    assert not at_zero.resuming


def test_with_history_down_a_movie_just_plays(settings: Settings) -> None:
    got = _progress(settings, {}, movie=True, down=True)
    assert got.progress == {} and not got.resuming
