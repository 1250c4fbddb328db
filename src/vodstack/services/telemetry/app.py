"""The telemetry service process: runs its consumers in threads and serves what they count."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vodstack.config.settings import Settings
from vodstack.core.app import create_service_app
from vodstack.core.periodic import Periodic
from vodstack.core.service_auth import ServiceTokens
from vodstack.events.consumers.telemetry import TelemetrySink
from vodstack.events.log import EventLog, open_event_log
from vodstack.services.telemetry.api import ROUTERS
from vodstack.services.telemetry.prometheus import QoeCollector
from vodstack.services.telemetry.runtime import TelemetryRuntime

SERVICE = "telemetry"
_TRIM_EVERY_S = 600.0


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

    app = create_service_app(
        SERVICE,
        routers=ROUTERS,
        lifespan=lifespan,
        health=lambda: bool(running),
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
    )

    def sink() -> TelemetrySink | None:
        return running[0].telemetry if running else None

    app.state.metrics.registry.register(QoeCollector(sink))
    return app
