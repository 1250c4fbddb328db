"""The catalog service process: wiring of settings, database, search index and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from vodstack.config.settings import Settings
from vodstack.core import migrations
from vodstack.core.answer_cache import CachedReads
from vodstack.core.app import create_service_app
from vodstack.core.db import SqliteDataVersion, make_engine, make_sessionmaker
from vodstack.core.read_replica import ReplicaReads, expose
from vodstack.core.service_auth import ServiceTokens
from vodstack.services.catalog.api import router
from vodstack.services.catalog.search import Fts5Index, SearchIndex, TsvectorIndex
from vodstack.services.catalog.service import CatalogService

SERVICE = "catalog"
MIGRATIONS = Path(__file__).parent / "migrations"
# The viewer's reads: pure functions of the URL and the database (docs/benchmarks.md, issue 23).
CACHED_PATHS = (r"/v1/titles", r"/v1/titles/\d+", r"/v1/search", r"/v1/genres")


def search_index_for(engine: Engine) -> SearchIndex:
    """The search backend that matches the database the catalog runs on."""
    if engine.dialect.name == "sqlite":
        return Fts5Index()
    if engine.dialect.name == "postgresql":
        return TsvectorIndex()
    raise RuntimeError(
        f"catalog search has no backend for {engine.dialect.name!r}; "
        "use SQLite (FTS5) or PostgreSQL (tsvector)"
    )


def _replica_engine(settings: Settings, primary: Engine) -> Engine | None:
    url = settings.database_replica_url(SERVICE)
    if url is None:
        return None
    if primary.dialect.name != "postgresql":
        raise ValueError(
            f"database_replica_urls.{SERVICE} needs the catalog on PostgreSQL "
            f"(database_urls.{SERVICE}); it is on {primary.dialect.name}"
        )
    return make_engine(url)


def migrate(engine: Engine) -> None:
    """Bring the catalog's database to the newest schema (docs/databases.md)."""
    migrations.upgrade(engine, SERVICE, MIGRATIONS)


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.database_url(SERVICE))
    migrate(engine)
    replica = _replica_engine(settings, engine)
    sessions = make_sessionmaker(engine)
    reads = (
        ReplicaReads(
            SERVICE, sessions, make_sessionmaker(replica), wait_s=settings.database_replica_wait_s
        )
        if replica is not None
        else None
    )
    service = CatalogService(sessions, search_index_for(engine), reads)
    service.prepare()
    version = SqliteDataVersion.of(settings.database_url(SERVICE))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()
            if replica is not None:
                replica.dispose()
            if version is not None:
                version.close()

    app = create_service_app(
        SERVICE,
        routers=[router],
        lifespan=lifespan,
        health=service.healthy,
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
        cached_reads=CachedReads(CACHED_PATHS, version),
        redis=settings.redis,
    )
    app.state.catalog = service
    app.state.engine = engine
    expose(app.state.metrics.registry)  # vodstack_db_reads_total on /metrics
    return app
