"""`/api/admin/jobs`: the pipeline's jobs with live progress, and a title's VMAF report."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from vodstack.clients.catalog import CatalogClient
from vodstack.contracts.common import Maturity
from vodstack.contracts.pipeline import JobDetail, JobPriority
from vodstack.core.errors import NotFound, UpstreamError
from vodstack.delivery.quality import SUMMARY_EXCLUDE, QualityReport
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import AdminDep, UpstreamsDep
from vodstack.gateway.upstreams import Upstreams
from vodstack.gateway.views import JobView

router = APIRouter(prefix="/api/admin", tags=["admin"])


async def _title_names(catalog: CatalogClient, title_ids: set[int]) -> dict[int, str]:
    async def name(title_id: int) -> tuple[int, str | None]:
        try:
            return title_id, (await catalog.title(title_id, Maturity.ADULT, unpublished=True)).name
        except UpstreamError:  # deleted since the upload: the job stays listed
            return title_id, None

    found = await asyncio.gather(*(name(t) for t in title_ids))
    return {title_id: n for title_id, n in found if n is not None}


async def job_views(clients: Upstreams, limit: int) -> list[JobView]:
    """The newest jobs with their renditions' progress and their titles' names."""
    summaries = await clients.pipeline.jobs(limit)
    details, names = await asyncio.gather(
        asyncio.gather(*(clients.pipeline.job(s.id) for s in summaries)),
        _title_names(clients.catalog, {s.title_id for s in summaries}),
    )
    return [JobView.of(detail, names.get(detail.title_id)) for detail in details]


async def title_quality(clients: Upstreams, title_id: int) -> QualityReport | None:
    """The VMAF report of the title's published version (None before a publish, or without one)."""
    title = await clients.catalog.title(title_id, Maturity.ADULT, unpublished=True)
    if title.asset_version is None:
        return None
    return await clients.assets.quality(title_id, title.asset_version)


@router.get("/jobs", response_model=list[JobView], responses=errors(401, 403))
async def list_jobs(
    _: AdminDep, clients: UpstreamsDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[JobView]:
    """The newest encoding jobs, with per-rendition progress (the jobs page polls this)."""
    return await job_views(clients, limit)


@router.get("/jobs/{job_id}", response_model=JobDetail, responses=errors(401, 403, 404))
async def get_job(job_id: Id, _: AdminDep, clients: UpstreamsDep) -> JobDetail:
    """One job: per-rendition and per-task progress, attempts and errors."""
    return await clients.pipeline.job(job_id)


@router.post(
    "/jobs/{job_id}/cancel", response_model=JobDetail, responses=errors(401, 403, 404, 409)
)
async def cancel_job(job_id: Id, _: AdminDep, clients: UpstreamsDep) -> JobDetail:
    """Stop a job (409 `job_finished` once it has ended); nothing is published."""
    return await clients.pipeline.cancel(job_id)


@router.put(
    "/jobs/{job_id}/priority", response_model=JobDetail, responses=errors(401, 403, 404, 409)
)
async def set_job_priority(
    job_id: Id, body: JobPriority, _: AdminDep, clients: UpstreamsDep
) -> JobDetail:
    """Higher runs sooner within each band (previews of every job come first, then the full
    ladders, then VMAF); 409 `job_finished` once the job has ended."""
    return await clients.pipeline.set_priority(job_id, body.priority)


_NO_REPORT = "No quality report: the version is not published yet, or VMAF was skipped for it."


@router.get(
    "/jobs/{job_id}/quality",
    response_model=QualityReport,
    response_model_exclude=SUMMARY_EXCLUDE,
    responses=errors(401, 403, 404),
)
async def get_job_quality(job_id: Id, _: AdminDep, clients: UpstreamsDep) -> QualityReport:
    """VMAF per rendition of the version this job published."""
    job = await clients.pipeline.job(job_id)
    report = await clients.assets.quality(job.title_id, job.asset_version)
    if report is None:
        raise NotFound(_NO_REPORT, code="quality_not_found")
    return report


@router.get(
    "/titles/{title_id}/quality",
    response_model=QualityReport,
    response_model_exclude=SUMMARY_EXCLUDE,
    responses=errors(401, 403, 404),
)
async def get_quality(title_id: Id, _: AdminDep, clients: UpstreamsDep) -> QualityReport:
    """VMAF per rendition of the title's published version (`quality.json`)."""
    report = await title_quality(clients, title_id)
    if report is None:
        raise NotFound(_NO_REPORT, code="quality_not_found")
    return report
