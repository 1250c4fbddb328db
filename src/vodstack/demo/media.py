"""Playable demo titles: a synthetic master per demo title, uploaded to the pipeline.

Runs in the background after `vodstack up` is ready, so the site is usable at once and titles
turn from "processing" to playable one by one (watch them with `vodstack jobs`). Titles that
already have media or a live job are skipped, so restarts never duplicate work.

A series has no media of its own: each of its episodes gets a master, so the demo's episodes
play one by one and offer the next. Every title's first master comes before any series' later
episodes, so every listed title becomes playable in the first pass (docs/web.md, "Episodes").
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vodstack.clients.catalog import CatalogClient
from vodstack.clients.pipeline import PipelineClient, upload_file
from vodstack.config import Settings
from vodstack.contracts.catalog import Availability, TitleKind, TitleSort, TitleSummary
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
_PROCESSING = Availability.PROCESSING


@dataclass(frozen=True)
class MediaTarget:
    """What a demo master is uploaded for: a movie, or one episode of a series."""

    id: int
    name: str  # set in type in the picture
    duration_s: int


def demo_spec(target: MediaTarget) -> DemoSpec:
    """The synthetic recipe of one title: visual complexity varies across the catalog."""
    duration = min(MAX_S, max(MIN_S, target.duration_s // 4))
    pattern = _PATTERNS[target.id % len(_PATTERNS)]
    tone = 330 + 55 * (target.id % 9)
    return DemoSpec(f"title-{target.id}", target.name, pattern, duration, tone)


async def _all_titles(catalog: CatalogClient) -> list[TitleSummary]:
    titles: list[TitleSummary] = []
    while True:
        page = await catalog.titles(
            Maturity.ADULT, sort=TitleSort.TITLE, limit=100, offset=len(titles), unpublished=True
        )
        titles += page.items
        if not page.items or len(titles) >= page.total:
            return titles


async def _targets(catalog: CatalogClient, title: TitleSummary) -> list[MediaTarget]:
    """A movie's own master, or one per episode of a series, in viewing order."""
    if title.kind is not TitleKind.SERIES:
        return [MediaTarget(title.id, title.name, title.duration_s)]
    series = await catalog.title(title.id, Maturity.ADULT, unpublished=True)
    return [
        MediaTarget(
            episode.id, f"{series.name} S{season.number}:E{episode.number}", episode.duration_s
        )
        for season in series.seasons
        for episode in season.episodes
        if episode.id is not None and episode.availability is _PROCESSING
    ]


async def media_targets(catalog: CatalogClient, busy: set[int]) -> list[MediaTarget]:
    """Every movie and episode without media or a job (`busy`): first one per listed title (so
    each becomes playable in the first pass), then the series' other episodes."""
    titles = await _all_titles(catalog)
    # A series is available once one episode is: its other episodes may still need media.
    waiting = [t for t in titles if t.kind is TitleKind.SERIES or t.availability is _PROCESSING]
    per_title = [
        [target for target in await _targets(catalog, title) if target.id not in busy]
        for title in waiting
    ]
    return [ts[0] for ts in per_title if ts] + [t for ts in per_title for t in ts[1:]]


async def titles_without_media(settings: Settings) -> list[MediaTarget]:
    catalog = CatalogClient.of(settings, "demo", timeout=settings.upstream_timeout_s)
    pipeline = PipelineClient.of(settings, "demo", timeout=30.0)
    try:
        jobs = await pipeline.jobs(limit=500)
        busy = {job.title_id for job in jobs if job.state in _LIVE_JOB_STATES}
        return await media_targets(catalog, busy)
    finally:
        await catalog.aclose()
        await pipeline.aclose()


async def publish_demo_media(settings: Settings, report: Callable[[str], None] = print) -> int:
    """Make and upload media for every demo title lacking it; returns how many jobs started."""
    pending = await titles_without_media(settings)
    if not pending:
        return 0
    report(f"making demo media for {len(pending)} titles and episodes (`vodstack jobs`)")
    out_dir = settings.data_dir / DEMO_MEDIA_DIR
    cancel = threading.Event()
    pipeline = PipelineClient.of(settings, "demo", timeout=120.0)
    state = started(len(pending))
    started_jobs = 0
    try:
        for target in pending:
            spec = demo_spec(target)
            state = _advance(settings, state, current=target.name)
            control = RunControl(cancel=cancel)
            masters = await asyncio.to_thread(make_demo_sources, out_dir, [spec], control=control)
            master: Path = masters[spec.slug]
            status = await upload_file(pipeline, master, target.id, lambda _done: None)
            state = _advance(settings, state, current=None, uploaded=state.uploaded + 1)
            if status.job_id is not None:
                started_jobs += 1
                log.info("demo media for %r: job %s", target.name, status.job_id)
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
