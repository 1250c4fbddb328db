"""Admin pages for media: upload a title's video, follow the encoding jobs (admin role only).

The pages are shells: their scripts talk to `/api/admin/uploads` and `/api/admin/jobs`, and the
first answer is embedded as JSON so the page shows data before its first poll.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from vodstack.contracts.catalog import Title, TitleSort, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.gateway.api.jobs import job_views
from vodstack.gateway.api.uploads import MAX_SLICE_BYTES
from vodstack.gateway.deps import UpstreamsDep
from vodstack.gateway.views import JobView
from vodstack.gateway.web.guards import PageAdminDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter(prefix="/admin")

TITLE_CHOICES = 100  # the catalog's largest page
JOBS_SHOWN = 20
UPLOAD_SLICE_BYTES = min(4 * 1024 * 1024, MAX_SLICE_BYTES)
_job_list = TypeAdapter(list[JobView])


@router.get("/upload")
async def upload_page(
    request: Request,
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    title_id: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
) -> Response:
    listed = await clients.catalog.titles(
        Maturity.ADULT, sort=TitleSort.TITLE, limit=TITLE_CHOICES, unpublished=True
    )
    titles: list[TitleSummary] = list(listed.items)
    if title_id and all(t.id != title_id for t in titles):
        # An episode (never listed) or a title past the first page: offer it first.
        titles.insert(
            0, _choice(await clients.catalog.title(title_id, Maturity.ADULT, unpublished=True))
        )
    return pages.render(
        request,
        "admin_upload.html",
        session=session,
        titles=titles,
        chosen=title_id,
        maturities=list(Maturity),
        slice_bytes=UPLOAD_SLICE_BYTES,
    )


def _choice(title: Title) -> TitleSummary:
    """How the upload page names a title: an episode with its series, season and number."""
    place = title.episode_of
    if place is None:
        return title
    name = f"{place.series_name} · S{place.season}:E{place.number} {title.name}"
    return title.model_copy(update={"name": name})


@router.get("/jobs")
async def jobs_page(
    request: Request, session: PageAdminDep, pages: PagesDep, clients: UpstreamsDep
) -> Response:
    jobs = await job_views(clients, JOBS_SHOWN)
    initial = _job_list.dump_json(jobs).decode()
    return pages.render(
        request, "admin_jobs.html", session=session, initial=initial, limit=JOBS_SHOWN
    )


@router.get("/jobs/{job_id}")
async def job_page(
    request: Request,
    job_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    session: PageAdminDep,
    pages: PagesDep,
    clients: UpstreamsDep,
) -> Response:
    job = await clients.pipeline.job(job_id)
    return pages.render(
        request, "admin_job.html", session=session, job=job, initial=job.model_dump_json()
    )
