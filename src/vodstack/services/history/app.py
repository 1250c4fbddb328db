"""The history service process: its shards, the `history` consumer group, the read API."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vodstack.config.settings import Settings
from vodstack.core.answer_cache import CachedReads
from vodstack.core.app import create_service_app
from vodstack.core.periodic import Periodic
from vodstack.core.read_replica import expose
from vodstack.core.service_auth import ServiceTokens
from vodstack.events.consumer import Consumer
from vodstack.events.groups import HISTORY
from vodstack.events.log import EventLog, open_event_log
from vodstack.services.history.api import ROUTERS
from vodstack.services.history.cache import LookAsideCache
from vodstack.services.history.data_version import ShardsVersion
from vodstack.services.history.repository import ShardedHistory, ShardLayout, read_ring
from vodstack.services.history.reshard import Resharder

SERVICE = "history"
# Continue watching, asked for every home page: replayed by the answer cache until any shard is
# written, by any instance (data_version.py); on PostgreSQL shards never (no version).
CACHED_PATHS = (r"/v1/profiles/\d+/continue",)
_PRUNE_EVERY_S = 600.0

log = logging.getLogger(__name__)


def _pruner(history: ShardedHistory, settings: Settings) -> Periodic:
    """Forget applied ids older than the log's retention, every ten minutes (lifespan-owned)."""

    async def prune() -> None:
        await asyncio.to_thread(history.forget_applied, time.time() - settings.events.retention_s)

    return Periodic("history applied-id pruning", prune, _PRUNE_EVERY_S)


def open_history(settings: Settings) -> ShardedHistory:
    config = settings.history
    root = settings.data_dir / "history"
    ring = read_ring(root, config.shards)
    layout = ShardLayout(
        root,
        ring.shards,
        config.vnodes,
        config.watched_ratio,
        ring.generation,
        config.shard_url_template,
        config.replica_url_template,
        settings.database_replica_wait_s,
    )
    return ShardedHistory(layout, LookAsideCache(config.cache_ttl_s))


def create_app(settings: Settings, *, event_log: EventLog | None = None) -> FastAPI:
    """The history app; `event_log` (closed by the caller) is for tests."""
    running: list[ShardedHistory] = []
    shards_version = ShardsVersion()

    def version() -> int | None:
        return shards_version.of(running[0].current) if running else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log = event_log or open_event_log(settings)
        history = open_history(settings)
        consumer = Consumer(log, HISTORY, history, niceness=settings.events.consumer_niceness)
        app.state.history = history
        app.state.history_log = log
        app.state.resharder = resharder = Resharder(history)
        consumer.start()
        running.append(history)
        try:
            async with _pruner(history, settings):
                yield
        finally:
            running.clear()
            await asyncio.to_thread(consumer.stop)
            await asyncio.to_thread(resharder.join, 60.0)
            history.close()
            shards_version.close()
            if event_log is None:
                log.close()

    app = create_service_app(
        SERVICE,
        routers=ROUTERS,
        lifespan=lifespan,
        health=lambda: bool(running),
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
        cached_reads=CachedReads(CACHED_PATHS, version),
    )
    expose(app.state.metrics.registry)  # vodstack_db_reads_total (replica reads) on /metrics
    return app
