"""What drops the kept home rows, piece by piece: history's feed (the profiles it lists; all of
them when it cannot be read or cannot say), a refreshed snapshot only when it differs, and a
training run however it was started (the schedule, not only `POST /v1/train`)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, cast

from tests.events.stack import event
from tests.support.gateway import make_settings
from vodstack.contracts.catalog import Availability, Genre, TitleKind, TitlePage, TitleSummary
from vodstack.contracts.common import Changes, Maturity
from vodstack.contracts.events import EVENT
from vodstack.contracts.telemetry import Plays
from vodstack.core.answer_store import Answer
from vodstack.core.errors import ServiceUnavailable
from vodstack.services.recs.freshness import RowsFreshness, profile_of
from vodstack.services.recs.repository import open_store
from vodstack.services.recs.runtime import Clients, RecsRuntime
from vodstack.services.recs.watched import open_watched

A = "/v1/profiles/1/rows?maturity=adult"
B = "/v1/profiles/2/rows?maturity=adult&region=eu"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Feed:
    """History's feed as the poller sees it: scripted answers, or down."""

    def __init__(self) -> None:
        self.answers: list[Changes] = []
        self.down = False

    async def __call__(self, after: int) -> Changes:
        if self.down:
            raise ServiceUnavailable("history is down", code="upstream_unavailable")
        return self.answers.pop(0)


async def _keep(freshness: RowsFreshness, *keys: str) -> None:
    for key in keys:
        found = await freshness.answers.lookup(key)
        assert found is not None
        await freshness.answers.put(found[0], key, Answer([], key.encode(), None))


def test_the_profile_is_the_number_in_the_path() -> None:
    assert profile_of(A) == 1
    assert profile_of("/v1/profiles/42/rows?") == 42


def test_the_feed_drops_the_profiles_it_lists_and_everything_when_it_cannot_tell() -> None:
    async def run() -> None:
        clock, feed = Clock(), Feed()
        freshness = RowsFreshness(0.5, clock=clock)
        assert await freshness.answers.lookup(A) is None  # never read: nothing kept
        feed.answers = [Changes(cursor=10, ids=[], complete=False)]
        await freshness.poll(feed)
        await _keep(freshness, A, B)
        assert freshness.answers.kept == 2
        feed.answers = [Changes(cursor=12, ids=[1, 3])]
        await freshness.poll(feed)
        assert freshness.answers.kept == 1  # 2 is still kept
        await _keep(freshness, A)
        feed.answers = [Changes(cursor=20, ids=[], complete=False)]
        await freshness.poll(feed)
        assert freshness.answers.kept == 0
        await _keep(freshness, A, B)
        feed.down = True
        await freshness.poll(feed)
        assert freshness.answers.kept == 0
        assert await freshness.answers.lookup(A) is None
        await _keep_nothing(freshness)
        feed.down = False
        feed.answers = [Changes(cursor=21, ids=[])]
        await freshness.poll(feed)  # read again from nothing: vouches again
        await _keep(freshness, A)
        assert freshness.answers.kept == 1
        clock.now += 1.6  # three intervals without a read: the poller stalled
        assert await freshness.answers.lookup(A) is None

    async def _keep_nothing(freshness: RowsFreshness) -> None:
        await freshness.answers.put(10**9, A, Answer([], b"", None))
        assert freshness.answers.kept == 0

    asyncio.run(run())


class Catalog:
    """The catalog client's two calls the snapshot makes."""

    def __init__(self) -> None:
        self.published = [_title(1, "One")]

    async def titles(self, maturity: Maturity, **_: Any) -> TitlePage:
        return TitlePage(items=self.published, total=len(self.published), limit=100, offset=0)

    async def genres(self, maturity: Maturity) -> list[Genre]:
        return [Genre(slug="drama", name="Drama", count=len(self.published))]


class Telemetry:
    """The telemetry client's one call the popularity snapshot makes."""

    def __init__(self) -> None:
        self.counted: list[Plays] = []

    async def plays(self, since_hour: int) -> list[Plays]:
        return self.counted


def _title(title_id: int, name: str) -> TitleSummary:
    return TitleSummary(
        id=title_id,
        name=name,
        kind=TitleKind.MOVIE,
        year=2020,
        maturity=Maturity.KIDS,
        genres=["Drama"],
        synopsis="",
        duration_s=60,
        availability=Availability.AVAILABLE,
        artwork_url="",
    )


def test_snapshots_drop_every_row_only_when_they_change_and_a_training_run_always(
    tmp_path: Path,
) -> None:
    async def run() -> None:
        settings = make_settings(tmp_path)
        freshness = RowsFreshness(0.5)
        catalog, telemetry = Catalog(), Telemetry()
        clients = Clients(cast(Any, catalog), cast(Any, telemetry), cast(Any, None))
        runtime = RecsRuntime(
            settings,
            open_watched(settings),
            open_store(settings),
            clients,
            kept_rows=freshness.answers,
        )
        try:
            feed = Feed()
            feed.answers = [Changes(cursor=1, ids=[], complete=False)]
            await freshness.poll(feed)
            await runtime.refresh_catalog()
            await runtime.refresh_popularity()
            await _keep(freshness, A, B)
            await runtime.refresh_catalog()  # the same titles: kept
            await runtime.refresh_popularity()
            assert freshness.answers.kept == 2
            catalog.published = [*catalog.published, _title(2, "Two")]
            await runtime.refresh_catalog()
            assert freshness.answers.kept == 0
            await _keep(freshness, A, B)
            hour = int(time.time()) // 3600
            telemetry.counted = [Plays(title_id=2, region="eu", hour=hour, plays=3)]
            await runtime.refresh_popularity()
            assert freshness.answers.kept == 0
            await _keep(freshness, A, B)
            await runtime.train()  # as the schedule runs it: no request went through the app
            assert freshness.answers.kept == 0
        finally:
            runtime.watched.close()
            runtime.store.close()

    asyncio.run(run())


def test_the_sink_names_the_profiles_of_every_block_it_applied(tmp_path: Path) -> None:
    sink = open_watched(make_settings(tmp_path))
    told: list[set[int]] = []
    sink.on_applied = told.append
    try:
        beats = [
            EVENT.validate_python(event("heartbeat", profile_id=p, title_id=4)) for p in (5, 6, 5)
        ]
        assert sink.apply(beats) == 3
        assert sink.apply(beats) == 0  # replayed: nothing new, told all the same (harmless)
        assert told == [{5, 6}, {5, 6}]
        assert [title for title, _ in sink.recent(5)] == [4]
    finally:
        sink.close()
