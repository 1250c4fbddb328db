"""The telemetry service process: runs its consumers in threads and serves what they count."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vodstack.config.settings import Settings
from vodstack.core.answer_cache import CachedReads
from vodstack.core.app import create_service_app
from vodstack.core.db import sqlite_path
from vodstack.core.periodic import Periodic
from vodstack.core.service_auth import ServiceTokens
from vodstack.events.consumers.telemetry import TelemetrySink
from vodstack.events.log import EventLog, open_event_log
from vodstack.services.telemetry.api import ROUTERS
from vodstack.services.telemetry.prometheus import QoeCollector
from vodstack.services.telemetry.runtime import TelemetryRuntime

SERVICE = "telemetry"
_TRIM_EVERY_S = 600.0
# Plays per title, region and hour: a function of the popularity database alone, which only the
# popularity consumer writes (any process on the host: its SQLite data_version moves). On
# PostgreSQL there is no such version: the route's own memo stays the only cache.
CACHED_PATHS = (r"/v1/popularity",)


def _trimmer(runtime: TelemetryRuntime, settings: Settings) -> Periodic:
    """Retention, once at start and every ten minutes (owned by the app's lifespan)."""
    config = settings.events

    async def trim() -> None:
        await asyncio.to_thread(
            runtime.trim, time.time(), config.series_retention_s, config.retention_s
        )

    return Periodic("telemetry retention", trim, _TRIM_EVERY_S)


def create_app(settings: Settings, *, event_log: EventLog | None = None) -> FastAPI:
    """The telemetry app; `event_log` (closed by the caller) is for tests."""
    running: list[TelemetryRuntime] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log = event_log or open_event_log(settings)
        runtime = TelemetryRuntime.open(settings, log)
        app.state.telemetry = runtime
        runtime.start()
        running.append(runtime)
        try:
            async with _trimmer(runtime, settings):
                yield
        finally:
            running.clear()
            await asyncio.to_thread(runtime.stop)
            if event_log is None:
                log.close()

    def plays_version() -> int | None:
        version = running[0].plays_version if running else None
        return version() if version is not None else None

    on_sqlite = sqlite_path(settings.database_url("popularity")) is not None
    app = create_service_app(
        SERVICE,
        routers=ROUTERS,
        lifespan=lifespan,
        health=lambda: bool(running),
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
        cached_reads=CachedReads(CACHED_PATHS, plays_version) if on_sqlite else None,
    )

    def sink() -> TelemetrySink | None:
        return running[0].telemetry if running else None

    app.state.metrics.registry.register(QoeCollector(sink))
    return app
