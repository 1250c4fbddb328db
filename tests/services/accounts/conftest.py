"""Fixtures for the accounts service: a cheap hasher, a movable clock, SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal

import argon2
import pytest
from sqlalchemy.orm import Session, sessionmaker

from vodstack.core.db import create_schema, make_engine, make_sessionmaker
from vodstack.services.accounts.models import Base
from vodstack.services.accounts.passwords import Passwords
from vodstack.services.accounts.plans import seed_plans
from vodstack.services.accounts.service import AccountsService

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SESSION_TTL = timedelta(hours=1)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class CountingHasher(argon2.PasswordHasher):
    """Cheapest argon2 parameters (tests only), counting verifications."""

    def __init__(self, time_cost: int = 1) -> None:
        super().__init__(time_cost=time_cost, memory_cost=8, parallelism=1, hash_len=16, salt_len=8)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


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
    create_schema(engine, Base)
    sessions = make_sessionmaker(engine)
    seed_plans(sessions)
    yield sessions
    engine.dispose()


@pytest.fixture
def service(db: sessionmaker[Session], passwords: Passwords, clock: FakeClock) -> AccountsService:
    return AccountsService(db, passwords, session_ttl=SESSION_TTL, clock=clock)
