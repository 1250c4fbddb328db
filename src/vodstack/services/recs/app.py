"""The recommendations service process: the `recs` consumer group, the trainer on a schedule,
the snapshots it cuts rows from, the rows API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vodstack.config.settings import Settings
from vodstack.core.answer_cache import CachedReads
from vodstack.core.app import create_service_app
from vodstack.core.periodic import Periodic
from vodstack.core.service_auth import ServiceTokens
from vodstack.events.consumer import Consumer
from vodstack.events.groups import RECS
from vodstack.events.log import EventLog, open_event_log
from vodstack.services.recs.api import ROUTERS
from vodstack.services.recs.freshness import ROWS_PATH, RowsFreshness
from vodstack.services.recs.repository import open_store
from vodstack.services.recs.runtime import SERVICE, Clients, RecsRuntime
from vodstack.services.recs.watched import open_watched


def create_app(settings: Settings, *, event_log: EventLog | None = None) -> FastAPI:
    """The recs app; `event_log` (closed by the caller) is for tests."""
    running: list[RecsRuntime] = []
    feed_s = settings.recs.history_feed_s
    max_bytes = settings.recs.kept_rows_mb * 1024 * 1024
    freshness = RowsFreshness(feed_s, max_bytes=max_bytes) if feed_s > 0 else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log = event_log or open_event_log(settings)
        config = settings.recs
        runtime = RecsRuntime(
            settings,
            open_watched(settings),
            open_store(settings),
            Clients.of(settings),
            kept_rows=None if freshness is None else freshness.answers,
        )
        if freshness is not None:
            runtime.watched.on_applied = freshness.answers.drop
        consumer = Consumer(log, RECS, runtime.watched, niceness=settings.events.consumer_niceness)
        app.state.recs = runtime
        consumer.start()
        running.append(runtime)
        try:
            async with contextlib.AsyncExitStack() as stack:
                await stack.enter_async_context(
                    Periodic(
                        "recs catalog snapshot", runtime.refresh_catalog, config.catalog_refresh_s
                    )
                )
                await stack.enter_async_context(
                    Periodic(
                        "recs popularity snapshot",
                        runtime.refresh_popularity,
                        config.popularity_refresh_s,
                    )
                )
                await stack.enter_async_context(
                    Periodic("recs training", runtime.train, config.train_every_s)
                )
                if freshness is not None:
                    history = runtime.clients.history

                    async def read_feed() -> None:
                        await freshness.poll(history.changes)

                    await stack.enter_async_context(
                        Periodic("recs history feed", read_feed, feed_s)
                    )
                yield
        finally:
            if freshness is not None:
                freshness.stop()
            running.clear()
            await asyncio.to_thread(consumer.stop)
            await runtime.clients.aclose()
            runtime.watched.close()
            runtime.store.close()
            if event_log is None:
                log.close()

    app = create_service_app(
        SERVICE,
        routers=ROUTERS,
        lifespan=lifespan,
        health=lambda: bool(running),
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
        # Replayed from memory per profile (services/recs/freshness.py), never from Redis: what
        # drops them is this process's own feed reader and sink.
        cached_reads=None if freshness is None else CachedReads((ROWS_PATH,), version=None),
        answer_store=None if freshness is None else freshness.answers,
    )
    app.state.kept_rows = None if freshness is None else freshness.answers
    return app
