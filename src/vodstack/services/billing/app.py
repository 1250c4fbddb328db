"""The billing service process: its database, the payment provider, routes and dunning."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from vodstack.config.settings import Settings
from vodstack.core import migrations
from vodstack.core.answer_cache import CachedReads
from vodstack.core.app import create_service_app
from vodstack.core.db import DatabaseHealth, SqliteDataVersion, make_engine, make_sessionmaker
from vodstack.core.periodic import Periodic
from vodstack.core.service_auth import ServiceTokens
from vodstack.services.billing.api import ROUTERS, BillingApp
from vodstack.services.billing.clock import Clock, utc_now
from vodstack.services.billing.dunning import Dunning
from vodstack.services.billing.idempotency import Idempotency
from vodstack.services.billing.payments import Collector
from vodstack.services.billing.provider import PaymentProvider, SimulatedProvider
from vodstack.services.billing.subscriptions import Subscriptions

SERVICE = "billing"
# The entitlement every playback start asks for: a function of the subscription's row, which
# only writes change (dunning's too), and of the clock while a grace period runs (the route
# says until when). Kept in process, by SQLite's data_version (no store without one).
CACHED_PATHS = (r"/v1/entitlements/\d+",)
MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def migrate(engine: Engine) -> None:
    """Bring the billing database to the newest schema (docs/databases.md)."""
    migrations.upgrade(engine, SERVICE, MIGRATIONS)


def create_app(
    settings: Settings, *, clock: Clock = utc_now, provider: PaymentProvider | None = None
) -> FastAPI:
    """The billing app. `clock` and `provider` are for tests (moving time, a shared ledger)."""
    database = DatabaseHealth()
    config = settings.billing
    version = SqliteDataVersion.of(settings.database_url(SERVICE))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url(SERVICE))
        try:
            migrate(engine)
            sessions = make_sessionmaker(engine)
            collector = Collector(
                sessions, provider or SimulatedProvider(config.provider), config, clock
            )
            app.state.billing = BillingApp(
                Subscriptions(sessions, collector, config, clock, version),
                Idempotency(sessions, clock, config.idempotency_ttl_s),
            )
            dunning = app.state.dunning = Dunning(sessions, collector, config, clock)

            async def step() -> None:
                # In a thread: a step charges through the provider, which may take seconds.
                await asyncio.to_thread(dunning.step)

            database.engine = engine
            async with Periodic("billing dunning", step, config.dunning_interval_s):
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
    )
