"""The home page's "media being prepared" notice: how many titles play yet, how far along.

A fresh install starts with a demo catalogue whose media the pipeline is still making; without
a word, a viewer sees a near-empty home page. While any title the profile may see has no
version published yet and the pipeline has jobs under way, the notice says how many play
already and the pipeline's overall progress (no notice when nothing is being prepared: titles
created without media, demo media turned off). Before the pipeline has its first job, `vodstack
up` is still making the demo masters (minutes on a busy machine): with demo media on, titles
waiting and no job yet, the notice shows at 0 % rather than leave the first visitors without a
word. It costs one catalog call per home page, and a pipeline call only while some title has
no version.
"""

from __future__ import annotations

from dataclasses import dataclass

from vodstack.config.settings import Settings
from vodstack.contracts.catalog import Availability, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.contracts.pipeline import JobSummary
from vodstack.core.errors import VodstackError
from vodstack.gateway.upstreams import Upstreams

_TITLES_COUNTED = 100  # the first page of titles: a catalogue still being prepared is small
_JOBS_READ = 200


@dataclass(frozen=True)
class Preparation:
    ready: int  # titles with a version published (preview or complete)
    total: int  # titles that are, or will be, playable (failed ones left out)
    percent: float | None  # the pipeline's progress over those titles; None if unreachable


def makes_demo_media(settings: Settings) -> bool:
    """Whether `vodstack up` makes media for the demo titles it seeds."""
    return settings.seed_demo_data and settings.demo_media


async def media_preparation(
    clients: Upstreams, maturity: Maturity, *, demo_media: bool = False
) -> Preparation | None:
    """None when every title the profile can see is playable (no notice). `demo_media`: the
    platform makes media for its demo titles (`seed_demo_data` and `demo_media`)."""
    page = await clients.catalog.titles(maturity, limit=_TITLES_COUNTED, unpublished=True)
    titles = [t for t in page.items if t.availability is not Availability.FAILED]
    waiting = [t for t in titles if t.availability is Availability.PROCESSING]
    if not waiting:
        return None
    ready = len(titles) - len(waiting)
    try:
        jobs = await clients.pipeline.jobs(_JOBS_READ)
    except VodstackError:  # the pipeline restarting: the counts still help
        return Preparation(ready, len(titles), None)
    masters_first = demo_media and not jobs  # the demo step has not uploaded its first master
    if not masters_first and not any(not job.state.terminal for job in jobs):
        return None  # titles without media, but nothing is preparing any (no demo media)
    return Preparation(ready, len(titles), _percent(titles, jobs))


def _percent(titles: list[TitleSummary], jobs: list[JobSummary]) -> float:
    """Mean progress of each title's newest job; a title with no job counts as done when it is
    published (by other means), else as not started."""
    newest: dict[int, JobSummary] = {}
    for job in jobs:  # newest first
        newest.setdefault(job.title_id, job)
    done = sum(
        newest[t.id].progress if t.id in newest else float(t.availability is Availability.AVAILABLE)
        for t in titles
    )
    return round(100 * done / max(1, len(titles)), 1)
