"""The events service process: `create_app(settings)` opens the log and serves ingest."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from vodstack.config.settings import Settings
from vodstack.core.answer_cache import CachedReads
from vodstack.core.app import create_service_app
from vodstack.core.service_auth import ServiceTokens
from vodstack.events.groups import GROUPS
from vodstack.events.log import EventLog, open_event_log
from vodstack.services.events.api import ROUTERS, SCHEMAS
from vodstack.services.events.lag import LagGate
from vodstack.services.events.retention import retention
from vodstack.services.events.service import EventsService

SERVICE = "events"
# The lag per consumer group: read from the log at most every `events.lag_check_s` (LagGate),
# and replayed by the answer cache no longer than that, by the gate's own clock (the route says
# until when). Nothing else makes it stale, so the data's version never moves.
CACHED_PATHS = (r"/v1/events/lag",)
LAG_CLOCK = time.monotonic


def _no_version() -> int:
    return 0


def create_app(settings: Settings, *, event_log: EventLog | None = None) -> FastAPI:
    """The events app; `event_log` (closed by the caller) is for tests."""
    config = settings.events
    opened: list[EventLog] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log = event_log or open_event_log(settings)
        opened.append(log)
        gate = LagGate(
            log,
            GROUPS,
            max_lag=config.max_lag,
            retry_after_s=config.backoff_s,
            check_s=config.lag_check_s,
            clock=LAG_CLOCK,
        )
        app.state.events = EventsService(log, config, gate)
        try:
            async with retention(log, config.retention_s):
                yield
        finally:
            opened.clear()
            if event_log is None:
                log.close()

    app = create_service_app(
        SERVICE,
        routers=ROUTERS,
        lifespan=lifespan,
        health=lambda: bool(opened),
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
        cached_reads=CachedReads(CACHED_PATHS, _no_version, clock=LAG_CLOCK),
    )
    _publish_schemas(app, SCHEMAS)
    return app


def _publish_schemas(app: FastAPI, models: Sequence[type[BaseModel]]) -> None:
    """Add `models` to the OpenAPI components: routes that read their body as bytes refer to
    them (`openapi_extra`), and FastAPI only collects the models of declared parameters."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            _, defs = models_json_schema(
                [(model, "validation") for model in models],
                ref_template="#/components/schemas/{model}",
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(defs["$defs"])
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
