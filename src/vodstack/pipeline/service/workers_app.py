"""The pipeline's worker pool as a supervised process of its own (`pipeline-workers`).

`vodstack up` runs one of these beside any number of pipeline API instances: it runs the
executor (the local worker pool, or the Celery dispatcher), the catalog outbox drain and the
upload reaper (pipeline.service.duties). Its HTTP side is only /healthz (healthy while the pool
has live workers) and /metrics, so the supervisor replaces it when it hangs like any service.
Jobs are claimed from the jobs database under leases, so killing this process loses nothing:
its workers die with it, and the restarted pool reclaims their tasks at once (their owners'
pids are gone; another host's after the lease runs out) and runs them again. A task's output is
written atomically under its key and a job publishes once, so a title is never half-published.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from vodstack.config.settings import Settings
from vodstack.core.app import create_service_app
from vodstack.core.service_auth import ServiceTokens
from vodstack.pipeline.jobs.executor import DEFAULT_EXECUTOR
from vodstack.pipeline.jobs.media_tasks import check_source
from vodstack.pipeline.service.duties import pipeline_duties
from vodstack.pipeline.service.runtime import PipelineRuntime

SERVICE = "pipeline-workers"


def create_app(settings: Settings, *, executor_ref: str = DEFAULT_EXECUTOR) -> FastAPI:
    holder: dict[str, PipelineRuntime] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pipeline = PipelineRuntime.open(settings, check_source)
        holder["runtime"] = pipeline
        try:
            async with pipeline_duties(
                pipeline, workers=True, executor_ref=executor_ref, caller="pipeline"
            ):
                yield
        finally:
            await asyncio.to_thread(pipeline.close)

    def healthy() -> bool:
        pipeline = holder.get("runtime")
        return pipeline is not None and pipeline.pool is not None and pipeline.healthy()

    return create_service_app(
        SERVICE,
        routers=[],
        lifespan=lifespan,
        health=healthy,
        internal=ServiceTokens.from_settings(settings, SERVICE),
        max_body_bytes=settings.body_limits.for_service(SERVICE),
    )
