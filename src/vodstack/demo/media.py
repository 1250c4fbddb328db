"""Playable demo titles: a synthetic master per demo title, uploaded to the pipeline.

Runs in the background after `vodstack up` is ready, so the site is usable at once and titles
turn from "processing" to playable one by one (watch them with `vodstack jobs`). Titles that
already have media or a live job are skipped, so restarts never duplicate work.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from vodstack.clients.catalog import CatalogClient
from vodstack.clients.pipeline import PipelineClient, upload_file
from vodstack.config import Settings
from vodstack.contracts.catalog import Availability, TitleSort, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.contracts.pipeline import JobState
from vodstack.demo.preparation import DemoPreparation, started, write_preparation
from vodstack.pipeline.media import DemoSpec, Pattern, RunControl, make_demo_sources

log = logging.getLogger(__name__)

DEMO_MEDIA_DIR = "demo-media"
# Demo masters are short, a quarter of the title's listed running time within these bounds:
# every title must be watchable minutes after `vodstack up` on two cores, and the whole ladder
# done within half an hour (docs/decisions.md, "A demo playable in minutes").
MIN_S, MAX_S = 16, 24
_LIVE_JOB_STATES = {JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED}
_PATTERNS = list(Pattern)


def demo_spec(title: TitleSummary) -> DemoSpec:
    """The synthetic recipe of one title: visual complexity varies across the catalog."""
    duration = min(MAX_S, max(MIN_S, (title.duration_s or 0) // 4))
    pattern = _PATTERNS[title.id % len(_PATTERNS)]
    return DemoSpec(f"title-{title.id}", title.name, pattern, duration, 330 + 55 * (title.id % 9))


async def _all_titles(catalog: CatalogClient) -> list[TitleSummary]:
    titles: list[TitleSummary] = []
    while True:
        page = await catalog.titles(
            Maturity.ADULT, sort=TitleSort.TITLE, limit=100, offset=len(titles), unpublished=True
        )
        titles += page.items
        if not page.items or len(titles) >= page.total:
            return titles


async def titles_without_media(settings: Settings) -> list[TitleSummary]:
    catalog = CatalogClient.of(settings, "demo", timeout=settings.upstream_timeout_s)
    pipeline = PipelineClient.of(settings, "demo", timeout=30.0)
    try:
        titles = await _all_titles(catalog)
        jobs = await pipeline.jobs(limit=500)
    finally:
        await catalog.aclose()
        await pipeline.aclose()
    busy = {job.title_id for job in jobs if job.state in _LIVE_JOB_STATES}
    return [
        title
        for title in titles
        if title.availability is Availability.PROCESSING and title.id not in busy
    ]


async def publish_demo_media(settings: Settings, report: Callable[[str], None] = print) -> int:
    """Make and upload media for every demo title lacking it; returns how many jobs started."""
    pending = await titles_without_media(settings)
    if not pending:
        return 0
    report(f"making demo media for {len(pending)} titles in the background (`vodstack jobs`)")
    out_dir = settings.data_dir / DEMO_MEDIA_DIR
    cancel = threading.Event()
    pipeline = PipelineClient.of(settings, "demo", timeout=120.0)
    state = started(len(pending))
    started_jobs = 0
    try:
        for title in pending:
            spec = demo_spec(title)
            state = _advance(settings, state, current=title.name)
            control = RunControl(cancel=cancel)
            masters = await asyncio.to_thread(make_demo_sources, out_dir, [spec], control=control)
            master: Path = masters[spec.slug]
            status = await upload_file(pipeline, master, title.id, lambda _done: None)
            state = _advance(settings, state, current=None, uploaded=state.uploaded + 1)
            if status.job_id is not None:
                started_jobs += 1
                log.info("demo media for %r: job %s", title.name, status.job_id)
        _advance(settings, state, finished=True)
    except asyncio.CancelledError:
        cancel.set()  # the runner kills the ffmpeg making the current master
        raise
    finally:
        await pipeline.aclose()
    return started_jobs


def _advance(settings: Settings, state: DemoPreparation, **changes: object) -> DemoPreparation:
    state = state.model_copy(update={**changes, "updated_at": time.time()})
    write_preparation(settings, state)
    return state
