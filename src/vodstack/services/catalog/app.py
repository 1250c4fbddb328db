"""The catalog service process: wiring of settings, database, search index and routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Engine

from vodstack.config.settings import Settings
from vodstack.core.answer_cache import CachedReads
from vodstack.core.app import create_service_app
from vodstack.core.db import SqliteDataVersion, create_schema, make_engine, make_sessionmaker
from vodstack.core.service_auth import ServiceTokens
from vodstack.services.catalog.api import router
from vodstack.services.catalog.models import Base, TitleRow
from vodstack.services.catalog.search import Fts5Index, SearchIndex
from vodstack.services.catalog.service import CatalogService

SERVICE = "catalog"
# The viewer's reads: pure functions of the URL and the database (docs/benchmarks.md, issue 23).
CACHED_PATHS = (r"/v1/titles", r"/v1/titles/\d+", r"/v1/search", r"/v1/genres")


def search_index_for(engine: Engine) -> SearchIndex:
    """The search backend that matches the database the catalog runs on."""
    if engine.dialect.name == "sqlite":
        return Fts5Index()
    raise RuntimeError(
        f"catalog search has no backend for {engine.dialect.name!r} yet; "
        "only SQLite (FTS5) is implemented"
    )


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.database_url(SERVICE))
    create_schema(engine, Base)
    # create_all adds indexes only with new tables; a catalog from before episodes gets its
    # listing index here.
    for index in Base.metadata.tables[TitleRow.__tablename__].indexes:
        index.create(engine, checkfirst=True)
    service = CatalogService(make_sessionmaker(engine), search_index_for(engine))
    service.prepare()
    version = SqliteDataVersion.of(settings.database_url(SERVICE))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()
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
    return app
