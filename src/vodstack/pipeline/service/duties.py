"""The pipeline's duties beyond answering requests, run by one process per platform.

The worker pool (or, with Celery, the dispatcher) that runs the jobs' tasks; the outbox drain
that tells the catalog what was published; the reaper of abandoned uploads. On `vodstack up`
they run in the `pipeline-workers` process (pipeline.service.workers_app), so the pipeline API
can run as any number of instances: two drains could announce a title's preview after its
complete version, and one pool per instance would multiply the encoders the settings give. A
pipeline app run on its own (tests, `create_app` with the defaults) runs them itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from vodstack.clients.catalog import CatalogClient
from vodstack.pipeline.jobs.runners import open_runner
from vodstack.pipeline.service.catalog_sync import catalog_sync
from vodstack.pipeline.service.runtime import PipelineRuntime
from vodstack.pipeline.service.upload_reaper import upload_reaper

_CATALOG_SYNC_S = 2.0


@contextlib.asynccontextmanager
async def pipeline_duties(
    pipeline: PipelineRuntime,
    *,
    workers: bool,
    executor_ref: str,
    catalog: CatalogClient | None = None,
    caller: str = "pipeline",
) -> AsyncIterator[None]:
    """Run the pool (if `workers`), the catalog drain and the upload reaper for the block."""
    settings = pipeline.settings
    if workers:
        pipeline.pool = open_runner(settings, executor_ref=executor_ref)
        pipeline.pool.start()
    client = catalog or CatalogClient.of(settings, caller, timeout=settings.upstream_timeout_s)
    try:
        async with (
            catalog_sync(pipeline.queue, client, _CATALOG_SYNC_S),
            upload_reaper(pipeline.uploads, settings.pipeline),
        ):
            yield
    finally:
        if catalog is None:
            await client.aclose()
