"""The experiments service process: definitions in its database, assignments, and the
`experiments` consumer of the events log that its results are computed from."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from vodstack.clients.events import EventsClient
from vodstack.clients.resilience.transport import ResilientTransport
from vodstack.config.settings import Settings
from vodstack.core import migrations
from vodstack.core.app import create_service_app
from vodstack.core.db import DatabaseHealth, make_engine, make_sessionmaker
from vodstack.core.service_auth import ServiceTokens
from vodstack.events.consumer import Consumer
from vodstack.events.log import EventLog, open_event_log
from vodstack.services.experiments.api import ROUTERS, ExperimentsApp
from vodstack.services.experiments.definitions import Clock, Definitions, utc_now
from vodstack.services.experiments.exposures import Exposures
from vodstack.services.experiments.metrics import GROUP, ExperimentSink
from vodstack.services.experiments.metrics import SERVICE as ACTIVITY

SERVICE = "experiments"
MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(engine: Engine) -> None:
    """Bring the experiments database to the newest schema (docs/databases.md)."""
    migrations.upgrade(engine, SERVICE, MIGRATIONS)


def create_app(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    event_log: EventLog | None = None,
    events_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The experiments app; `clock`, `event_log` (closed by the caller) and the events
    transport are for tests."""
    database = DatabaseHealth()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url(SERVICE))
        log = event_log or open_event_log(settings)
        sink = ExperimentSink(settings.database_url(ACTIVITY))
        consumer = Consumer(log, GROUP, sink, niceness=settings.events.consumer_niceness)
        events = EventsClient.of(
            settings,
            SERVICE,
            timeout=settings.upstream_timeout_s,
            transport=ResilientTransport.over(settings, "events", events_transport),
        )
        exposures = Exposures(events)
        try:
            migrate(engine)
            app.state.experiments = ExperimentsApp(
                Definitions(make_sessionmaker(engine), clock),
                exposures,
                sink,
                settings.playback.heartbeat_interval_s,
                clock,
            )
            consumer.start()
            database.engine = engine
            yield
        finally:
            database.engine = None
            await exposures.aclose()
            await asyncio.to_thread(consumer.stop)
            sink.close()
            await events.aclose()
            if event_log is None:
                log.close()
            engine.dispose()

    return create_service_app(
        SERVICE,
        routers=ROUTERS,
        lifespan=lifespan,
        health=database.healthy,
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
    )
