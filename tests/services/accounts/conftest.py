"""Fixtures for the accounts service: a cheap hasher, a movable clock, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.accounts import SESSION_TTL, CountingHasher
from tests.support.clock import FakeClock
from tests.support.postgres import pooled_database
from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.services.accounts.app import migrate
from vodstack.services.accounts.passwords import Passwords
from vodstack.services.accounts.plans import seed_plans
from vodstack.services.accounts.service import AccountsService


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def passwords(hasher: CountingHasher) -> Passwords:
    return Passwords(hasher)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The accounts database on every backend the service supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'accounts.sqlite'}"
    else:
        with pooled_database("accounts") as url:
            yield url


@pytest.fixture
def db(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrate(engine)
    sessions = make_sessionmaker(engine)
    seed_plans(sessions)
    yield sessions
    engine.dispose()


@pytest.fixture
def service(db: sessionmaker[Session], passwords: Passwords, clock: FakeClock) -> AccountsService:
    return AccountsService(db, passwords, session_ttl=SESSION_TTL, clock=clock)
