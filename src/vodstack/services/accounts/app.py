"""The accounts service process: `create_app(settings)` wires database, hasher and routes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from vodstack.config.settings import Settings
from vodstack.core import migrations
from vodstack.core.answer_cache import CachedReads
from vodstack.core.app import create_service_app
from vodstack.core.db import (
    DatabaseHealth,
    SqliteDataVersion,
    make_engine,
    make_sessionmaker,
)
from vodstack.core.service_auth import ServiceTokens
from vodstack.services.accounts.api import ROUTERS
from vodstack.services.accounts.clock import Clock, utc_now
from vodstack.services.accounts.passwords import Passwords
from vodstack.services.accounts.plans import seed_plans
from vodstack.services.accounts.service import AccountsService

SERVICE = "accounts"
MIGRATIONS = Path(__file__).parent / "migrations"
# Reads of the database alone, and the session check, whose answer also ends with the session
# (the route says when: core.answer_cache.good_until); a log-out is a write, so it is seen at once.
CACHED_PATHS = (r"/v1/accounts/\d+/profiles", r"/v1/sessions/[^/]+")

log = logging.getLogger(__name__)


def migrate(engine: Engine) -> None:
    """Bring the accounts database to the newest schema (docs/databases.md)."""
    migrations.upgrade(engine, SERVICE, MIGRATIONS)


def create_app(
    settings: Settings, *, passwords: Passwords | None = None, clock: Clock = utc_now
) -> FastAPI:
    """The accounts app. `passwords` and `clock` are for tests (cheap hashing, moving time)."""
    database = DatabaseHealth()
    version = SqliteDataVersion.of(settings.database_url(SERVICE))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url(SERVICE))
        try:
            migrate(engine)
            sessions = make_sessionmaker(engine)
            seed_plans(sessions)
            service = AccountsService(
                sessions,
                passwords or Passwords(),
                session_ttl=timedelta(seconds=settings.session_ttl_s),
                limits=settings.lockouts,
                clock=clock,
                data_version=version,
            )
            purged = service.sessions.purge_expired()
            stale = service.sessions.lockouts.purge_stale()
            log.info(
                "accounts ready (%d expired sessions, %d stale counters purged)", purged, stale
            )
            app.state.accounts = service
            database.engine = engine
            yield
        finally:
            database.engine = None
            engine.dispose()
            if version is not None:
                version.close()

    return create_service_app(
        SERVICE,
        routers=ROUTERS,
        lifespan=lifespan,
        health=database.healthy,
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
        cached_reads=CachedReads(CACHED_PATHS, version, clock=lambda: clock().timestamp()),
        redis=settings.redis,
    )
