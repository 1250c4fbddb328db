"""The pipeline service: the jobs/uploads API.

On `vodstack up` it runs as any number of instances (`create_api`), each only accepting
uploads, writing jobs to the jobs database and answering status: upload state and each upload's
writer lease are in that database, the bytes on the shared data directory. The duties one
process per platform must run (worker pool, catalog outbox drain, upload reaper) run in the
`pipeline-workers` process (workers_app). `create_app` with the defaults runs them in the API's
own process, for a pipeline run on its own (tests, `vodstack serve pipeline`-less setups).
"""

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
from vodstack.pipeline.service.duties import pipeline_duties
from vodstack.pipeline.service.routes import UPLOADS_PREFIX, router
from vodstack.pipeline.service.runtime import PipelineRuntime
from vodstack.pipeline.service.title_routes import AUDIO_PREFIX
from vodstack.pipeline.service.title_routes import router as title_router
from vodstack.pipeline.service.uploads import SourceCheck

SERVICE = "pipeline"


def create_api(settings: Settings) -> FastAPI:
    """One pipeline API instance of the platform: no pool, no drain, no reaper."""
    return create_app(settings, workers=False, duties=False)


def create_app(
    settings: Settings,
    *,
    workers: bool = True,
    duties: bool = True,
    executor_ref: str = DEFAULT_EXECUTOR,
    check: SourceCheck = check_source,
    catalog: CatalogClient | None = None,
) -> FastAPI:
    """The pipeline app; `workers=False` runs no worker pool here, `duties=False` neither the
    catalog drain nor the upload reaper (another process runs them: pipeline.service.duties)."""
    holder: dict[str, PipelineRuntime] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pipeline = PipelineRuntime.open(settings, check)
        holder["runtime"] = pipeline
        app.state.pipeline = pipeline
        try:
            if duties:
                async with pipeline_duties(
                    pipeline, workers=workers, executor_ref=executor_ref, catalog=catalog
                ):
                    yield
            else:
                yield
        finally:
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
