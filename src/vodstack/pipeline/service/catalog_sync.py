"""Drains the publish outbox: tells the catalog which asset version of a title is available.

Publishing never waits on the catalog; a publication stays unsynced until the catalog has
acknowledged, and this loop retries until it does (the catalog's PUT is idempotent). A job's
preview version makes its title available first; its complete version replaces it (the outbox is
drained in order, and never announces a preview once the title has a complete version).

The failure outbox (jobs.failures) is drained the same way, after the publications: the catalog
marks a title that was never published `failed` (viewers never see it; admins see why).
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool

from vodstack.clients.catalog import CatalogClient
from vodstack.contracts.catalog import Availability
from vodstack.core.errors import ServiceUnavailable, UpstreamError
from vodstack.core.periodic import Periodic
from vodstack.pipeline.jobs.queue import JobQueue

log = logging.getLogger(__name__)


async def sync_once(queue: JobQueue, catalog: CatalogClient) -> int:
    """Tell the catalog of every unsynced publish; returns how many were acknowledged."""
    done = 0
    for entry in await run_in_threadpool(queue.unsynced_publications):
        title_id, version = entry.title_id, entry.asset_version
        try:
            await catalog.set_availability(title_id, Availability.AVAILABLE, version)
        except UpstreamError as exc:
            # The title is gone or refuses this version: retrying would not change that.
            log.warning("catalog refused title %s version %s: %s", title_id, version, exc)
        except ServiceUnavailable as exc:
            log.info("catalog unavailable (%s); will retry publish of job %s", exc, entry.job_id)
            return done
        await run_in_threadpool(queue.mark_synced, entry.id)
        done += 1
    return done + await _sync_failures(queue, catalog)


async def _sync_failures(queue: JobQueue, catalog: CatalogClient) -> int:
    done = 0
    for failure in await run_in_threadpool(queue.failures.unsynced):
        try:
            # The catalog ignores this for a title already published (it keeps playing).
            await catalog.set_availability(failure.title_id, Availability.FAILED)
        except UpstreamError as exc:
            log.warning("catalog refused to flag title %s: %s", failure.title_id, exc)
        except ServiceUnavailable as exc:
            log.info("catalog unavailable (%s); will flag title %s later", exc, failure.title_id)
            return done
        await run_in_threadpool(queue.failures.mark_synced, failure.id)
        done += 1
    return done


def catalog_sync(queue: JobQueue, catalog: CatalogClient, interval_s: float) -> Periodic:
    """The outbox drain as a task the pipeline service's lifespan owns."""

    async def drain() -> None:
        await sync_once(queue, catalog)

    return Periodic("catalog sync", drain, interval_s)
