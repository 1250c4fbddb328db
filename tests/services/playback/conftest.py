"""Fixtures for the playback service: a published asset, a fake catalog, a movable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.clock import FakeClock
from tests.support.playback import (
    EDGES,
    SECRET_KEY,
    TIMEOUT_S,
    FakeCatalog,
    FakeHistory,
    make_title,
    publish,
)
from tests.support.postgres import pooled_database
from vodstack.config.settings import PlaybackSettings
from vodstack.contracts.catalog import Availability
from vodstack.contracts.common import Maturity
from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.delivery.tokens import TokenSigner
from vodstack.services.playback.app import migrate
from vodstack.services.playback.assets import AssetFiles
from vodstack.services.playback.edges import FixedEdges
from vodstack.services.playback.repository import SessionStore
from vodstack.services.playback.service import Collaborators, PlaybackService
from vodstack.storage import LocalObjectStore


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def catalog() -> FakeCatalog:
    return FakeCatalog(
        [
            make_title(1),
            make_title(2, maturity=Maturity.ADULT),
            make_title(3, availability=Availability.PROCESSING),
            make_title(4),
        ]
    )


@pytest.fixture
def history() -> FakeHistory:
    return FakeHistory()


@pytest.fixture
def objects(tmp_path: Path) -> LocalObjectStore:
    for title_id in (1, 2, 4):
        publish(tmp_path / "objects", title_id)
    return LocalObjectStore(tmp_path / "objects")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The playback database on every engine the service supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'playback.sqlite'}"
        return
    with pooled_database("playback") as url:
        yield url


@pytest.fixture
def store(database_url: str, clock: FakeClock) -> Iterator[SessionStore]:
    engine = make_engine(database_url)
    migrate(engine)
    store = SessionStore(make_sessionmaker(engine), timedelta(seconds=TIMEOUT_S), clock)
    yield store
    store.close()
    engine.dispose()


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(SECRET_KEY)


@pytest.fixture
def service(
    store: SessionStore,
    catalog: FakeCatalog,
    history: FakeHistory,
    objects: LocalObjectStore,
    signer: TokenSigner,
    clock: FakeClock,
) -> PlaybackService:
    parts = Collaborators(
        store=store,
        catalog=catalog,
        history=history,
        assets=AssetFiles(objects),
        edges=FixedEdges(EDGES),
        signer=signer,
    )
    # A short resume timeout keeps the "history hangs" test quick.
    settings = PlaybackSettings(
        heartbeat_interval_s=10, stream_timeout_s=TIMEOUT_S, resume_timeout_s=0.2
    )
    return PlaybackService(parts, settings, clock)
