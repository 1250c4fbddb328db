"""The pipeline's HTTP API (see contracts.pipeline for the endpoint list)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from vodstack.contracts.pipeline import (
    UPLOAD_LENGTH_HEADER,
    UPLOAD_OFFSET_HEADER,
    JobCreate,
    JobDetail,
    JobPriority,
    JobSummary,
    SubtitleTrackInfo,
    TitleFailure,
    UploadCreate,
    UploadStatus,
)
from vodstack.core.errors import Conflict, Invalid, NotFound, PayloadTooLarge
from vodstack.delivery.languages import LANGUAGE
from vodstack.pipeline.jobs.pool import pool_size
from vodstack.pipeline.jobs.progress import job_detail, list_jobs
from vodstack.pipeline.jobs.queue import JobFinishedError, JobNotFoundError
from vodstack.pipeline.jobs.title_settings import set_encryption
from vodstack.pipeline.media.errors import InvalidSubtitles
from vodstack.pipeline.media.subtitle_store import add_subtitles, title_subtitles
from vodstack.pipeline.media.subtitles import MAX_SUBTITLE_BYTES
from vodstack.pipeline.service.runtime import PipelineRuntime
from vodstack.pipeline.service.upload_lease import HeldLease, hold_upload
from vodstack.pipeline.service.uploads import Uploads
from vodstack.storage import InvalidKeyError, validate_key, work_prefix

router = APIRouter(prefix="/v1")
UPLOADS_PREFIX = "/v1/uploads/"  # the PATCH bodies: masters, streamed to disk
_WRITE_BUFFER = 1024 * 1024


def runtime(request: Request) -> PipelineRuntime:
    pipeline: PipelineRuntime = request.app.state.pipeline
    return pipeline


Runtime = Annotated[PipelineRuntime, Depends(runtime)]


def detail(pipeline: PipelineRuntime, job_id: int) -> JobDetail:
    try:
        return job_detail(pipeline.sessions, job_id, pool_size(pipeline.settings))
    except JobNotFoundError as exc:
        raise NotFound(f"No job {job_id}.", code="job_not_found") from exc


@router.post("/jobs", status_code=201)
def create_job(body: JobCreate, pipeline: Runtime) -> JobDetail:
    try:
        key = validate_key(body.source_key)
    except InvalidKeyError as exc:
        raise Invalid(str(exc), code="invalid_key") from exc
    if not pipeline.store.exists(key):
        raise NotFound(f"No object {key} in the store.", code="source_not_found")
    set_encryption(pipeline.store, body.title_id, body.encrypt)
    return detail(pipeline, pipeline.queue.create_job(body.title_id, key))


@router.get("/jobs")
def get_jobs(pipeline: Runtime, limit: int = Query(50, ge=1, le=500)) -> list[JobSummary]:
    return list_jobs(pipeline.sessions, limit, pool_size(pipeline.settings))


@router.get("/jobs/{job_id}")
def get_job(job_id: int, pipeline: Runtime) -> JobDetail:
    return detail(pipeline, job_id)


@router.post("/jobs/{job_id}/cancel")
def cancel_job(job_id: int, pipeline: Runtime) -> JobDetail:
    try:
        pipeline.queue.cancel_job(job_id)
    except JobNotFoundError as exc:
        raise NotFound(f"No job {job_id}.", code="job_not_found") from exc
    except JobFinishedError as exc:
        raise Conflict(f"Job {job_id} has already finished.", code="job_finished") from exc
    pipeline.store.delete_prefix(work_prefix(job_id))
    return detail(pipeline, job_id)


@router.put("/jobs/{job_id}/priority")
def set_job_priority(job_id: int, body: JobPriority, pipeline: Runtime) -> JobDetail:
    try:
        pipeline.queue.set_priority(job_id, body.priority)
    except JobNotFoundError as exc:
        raise NotFound(f"No job {job_id}.", code="job_not_found") from exc
    except JobFinishedError as exc:
        raise Conflict(f"Job {job_id} has already finished.", code="job_finished") from exc
    return detail(pipeline, job_id)


@router.get("/titles/{title_id}/failure")
def get_title_failure(title_id: int, pipeline: Runtime) -> TitleFailure:
    failure = pipeline.queue.failures.latest(title_id)
    if failure is None:
        raise NotFound(f"Title {title_id} has no failed upload or job.", code="no_failure")
    return TitleFailure(
        title_id=failure.title_id,
        job_id=failure.job_id,
        reason=failure.reason,
        failed_at=failure.failed_at,
    )


Language = Annotated[str, Path(pattern=LANGUAGE.pattern, max_length=35)]


@router.get("/titles/{title_id}/subtitles")
def get_subtitles(title_id: int, pipeline: Runtime) -> list[SubtitleTrackInfo]:
    tracks = title_subtitles(pipeline.store, title_id)
    return [SubtitleTrackInfo(**asdict(track)) for track in tracks]


@router.put("/titles/{title_id}/subtitles/{lang}")
async def put_subtitles(
    title_id: int,
    lang: Language,
    request: Request,
    pipeline: Runtime,
    name: Annotated[str | None, Query(max_length=80)] = None,
    duration_s: Annotated[float | None, Query(gt=0)] = None,
    asset_version: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
    ] = None,
) -> SubtitleTrackInfo:
    """Store an SRT or WebVTT file as `lang`; 422 `invalid_subtitles` names each bad line."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_SUBTITLE_BYTES:
            raise PayloadTooLarge(
                f"A subtitle file may be at most {MAX_SUBTITLE_BYTES // 1024} KiB.",
                code="subtitles_too_large",
            )
    try:
        track, cues = await run_in_threadpool(
            add_subtitles,
            pipeline.store,
            title_id,
            lang,
            bytes(data),
            name=name,
            duration_s=duration_s,
            asset_version=asset_version,
        )
    except InvalidSubtitles as exc:
        raise _subtitle_error(exc) from exc
    return SubtitleTrackInfo(**asdict(track), cues=cues)


def _subtitle_error(exc: InvalidSubtitles) -> Invalid | PayloadTooLarge:
    if exc.too_large:
        return PayloadTooLarge(
            f"The subtitle file is too large: {exc}.", code="subtitles_too_large"
        )
    first = exc.problems[0]
    more = f" (and {len(exc.problems) - 1} more problems)" if len(exc.problems) > 1 else ""
    return Invalid(
        f"The subtitle file cannot be used: {first}{more}.",
        code="invalid_subtitles",
        details=[{"line": p.line, "message": p.message} for p in exc.problems],
    )


def _offset_headers(response: Response, status: UploadStatus) -> None:
    response.headers[UPLOAD_OFFSET_HEADER] = str(status.offset)
    response.headers[UPLOAD_LENGTH_HEADER] = str(status.size)
    response.headers["Cache-Control"] = "no-store"


@router.post("/uploads", status_code=201)
def create_upload(body: UploadCreate, pipeline: Runtime, response: Response) -> UploadStatus:
    status = pipeline.uploads.create(body)
    _offset_headers(response, status)
    return status


@router.head("/uploads/{upload_id}")
def head_upload(upload_id: str, pipeline: Runtime) -> Response:
    response = Response(status_code=200)
    _offset_headers(response, pipeline.uploads.status(upload_id))
    return response


@router.get("/uploads/{upload_id}")
def get_upload(upload_id: str, pipeline: Runtime, response: Response) -> UploadStatus:
    status = pipeline.uploads.status(upload_id)
    _offset_headers(response, status)
    return status


@router.patch("/uploads/{upload_id}")
async def append_upload(
    upload_id: str,
    request: Request,
    response: Response,
    pipeline: Runtime,
    upload_offset: Annotated[int, Header(alias=UPLOAD_OFFSET_HEADER, ge=0)],
) -> UploadStatus:
    await run_in_threadpool(pipeline.uploads.status, upload_id)  # 404 before "busy"
    async with hold_upload(pipeline.leases, upload_id) as lease:
        status = await _receive(pipeline, upload_id, upload_offset, request, lease)
    _offset_headers(response, status)
    return status


async def _receive(
    pipeline: PipelineRuntime, upload_id: str, offset: int, request: Request, lease: HeldLease
) -> UploadStatus:
    uploads = pipeline.uploads
    status, handle = await run_in_threadpool(uploads.begin_append, upload_id, offset)
    room = status.size - status.offset
    received = 0
    overflow = False
    buffer = bytearray()
    try:
        async for chunk in request.stream():
            take = chunk[: room - received - len(buffer)]
            overflow = len(take) < len(chunk)
            buffer += take
            if len(buffer) >= _WRITE_BUFFER:
                await lease.check()  # never append after another instance took over
                received += await run_in_threadpool(handle.write, bytes(buffer))
                buffer.clear()
            if overflow:
                break
    except ClientDisconnect:
        pass  # keep every byte that arrived; the client resumes from HEAD's offset
    finally:
        # Shielded: a cancelled request must still flush what it received (if still its own).
        tail = bytes(buffer) if await asyncio.shield(lease.still_held()) else b""
        received += await asyncio.shield(run_in_threadpool(_flush, uploads, handle, tail))
    await lease.check()
    if overflow:
        raise PayloadTooLarge(
            f"The body goes past the declared size of {status.size} bytes.", code="upload_overflow"
        )
    if status.offset + received == status.size:
        return await run_in_threadpool(uploads.complete, upload_id)
    return await run_in_threadpool(uploads.status, upload_id)


def _flush(uploads: Uploads, handle: BinaryIO, tail: bytes) -> int:
    written = handle.write(tail) if tail else 0
    uploads.finish_append(handle)
    return written
