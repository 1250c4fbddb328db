"""Fixtures for the accounts service: a cheap hasher, a movable clock, SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.accounts import POSTGRES_URL, SESSION_TTL, CountingHasher
from tests.support.clock import FakeClock
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


def _postgres_schema_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    plain = POSTGRES_URL.replace("+psycopg", "")
    try:
        admin = psycopg.connect(plain, connect_timeout=2, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL unreachable at {plain}: {exc}")
    schema = f"accounts_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        try:
            # libpq `options` pins the search_path, so the service's unqualified tables land in
            # the throw-away schema; the same URL path as production, nothing test-only inside.
            yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The accounts database on every backend the service supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'accounts.sqlite'}"
    else:
        yield from _postgres_schema_url()


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
