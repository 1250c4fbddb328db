from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.pipeline.jobs.orchestration_fakes import FakeExecutor
from tests.support.clock import FakeMonotonic
from tests.support.postgres import pooled_database
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import PipelineSettings, Settings, load_settings
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.worker import Worker
from vodstack.storage import LocalObjectStore, ObjectStore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_urls(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The pipeline database on every engine it supports (SQLite: the default file)."""
    if request.param == "sqlite":
        yield {}
        return
    with pooled_database("pipeline") as url:
        yield {"pipeline": url}


@pytest.fixture
def settings(tmp_path: Path, database_urls: dict[str, str]) -> Settings:
    pipeline = PipelineSettings(
        workers=2, lease_s=3.0, poll_s=0.05, retry_backoff_s=1.0, max_attempts=3
    )
    return with_secrets(
        load_settings(data_dir=tmp_path / "data", pipeline=pipeline, database_urls=database_urls)
    )


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine, factory = open_database(settings)
    yield factory
    engine.dispose()


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic(start=1_000_000.0)


@pytest.fixture
def queue(sessions: sessionmaker[Session], settings: Settings, clock: FakeMonotonic) -> JobQueue:
    return JobQueue(sessions, settings.pipeline, clock)


@pytest.fixture
def store(settings: Settings) -> ObjectStore:
    return LocalObjectStore(settings.data_dir / "objects")


@pytest.fixture
def worker(settings: Settings, queue: JobQueue, store: ObjectStore) -> Worker:
    return Worker(
        settings=settings,
        queue=queue,
        store=store,
        executor=FakeExecutor(settings),
        owner="test-host:1:0",
        stop=threading.Event(),
    )
