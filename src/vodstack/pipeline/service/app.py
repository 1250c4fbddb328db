"""The pipeline service: the jobs/uploads API, with the worker pool running in its lifespan,
and two owned background tasks: the catalog outbox drain and the abandoned-upload reaper."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from vodstack.clients.catalog import CatalogClient
from vodstack.config.settings import Settings
from vodstack.core.app import create_service_app
from vodstack.core.service_auth import ServiceTokens
from vodstack.pipeline.jobs.executor import DEFAULT_EXECUTOR
from vodstack.pipeline.jobs.media_tasks import check_source
from vodstack.pipeline.jobs.runners import open_runner
from vodstack.pipeline.service.catalog_sync import catalog_sync
from vodstack.pipeline.service.routes import UPLOADS_PREFIX, router
from vodstack.pipeline.service.runtime import PipelineRuntime
from vodstack.pipeline.service.title_routes import AUDIO_PREFIX
from vodstack.pipeline.service.title_routes import router as title_router
from vodstack.pipeline.service.upload_reaper import upload_reaper
from vodstack.pipeline.service.uploads import SourceCheck

SERVICE = "pipeline"
_CATALOG_SYNC_S = 2.0


def create_app(
    settings: Settings,
    *,
    workers: bool = True,
    executor_ref: str = DEFAULT_EXECUTOR,
    check: SourceCheck = check_source,
    catalog: CatalogClient | None = None,
) -> FastAPI:
    """The pipeline app; `workers=False` serves the API only (workers run elsewhere)."""
    holder: dict[str, PipelineRuntime] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pipeline = PipelineRuntime.open(settings, check)
        holder["runtime"] = pipeline
        app.state.pipeline = pipeline
        if workers:
            pipeline.pool = open_runner(settings, executor_ref=executor_ref)
            pipeline.pool.start()
        client = catalog or CatalogClient.of(
            settings, "pipeline", timeout=settings.upstream_timeout_s
        )
        try:
            async with (
                catalog_sync(pipeline.queue, client, _CATALOG_SYNC_S),
                upload_reaper(pipeline.uploads, settings.pipeline),
            ):
                yield
        finally:
            if catalog is None:
                await client.aclose()
            await asyncio.to_thread(pipeline.close)

    def healthy() -> bool:
        pipeline = holder.get("runtime")
        return pipeline is not None and pipeline.healthy()

    return create_service_app(
        SERVICE,
        routers=[router, title_router],
        lifespan=lifespan,
        health=healthy,
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
        # Masters stream to disk; the upload route checks them against the declared size.
        larger_bodies={
            UPLOADS_PREFIX: settings.pipeline.max_upload_bytes,
            AUDIO_PREFIX: settings.pipeline.max_upload_bytes,
        },
    )
