"""`/api/admin/uploads`: resumable uploads of a title's master, proxied to the pipeline.

The browser declares the file (`POST`), then sends it in slices (`PATCH` with `Upload-Offset`);
after a dropped connection it asks where the server is (`HEAD`) and continues from there. The
bytes the pipeline holds are the truth; the gateway keeps nothing. A slice is read whole before
it is forwarded, so it is bounded (`MAX_SLICE_BYTES`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response

from vodstack.contracts.catalog import Availability
from vodstack.contracts.common import Maturity
from vodstack.contracts.pipeline import (
    UPLOAD_LENGTH_HEADER,
    UPLOAD_OFFSET_HEADER,
    UploadCreate,
    UploadStatus,
)
from vodstack.core.errors import PayloadTooLarge
from vodstack.gateway.api.docs import errors
from vodstack.gateway.deps import AdminDep, UpstreamsDep

UPLOADS_PREFIX = "/api/admin/uploads/"  # the PATCH bodies: slices of a master
router = APIRouter(prefix=UPLOADS_PREFIX.rstrip("/"), tags=["admin"])

MAX_SLICE_BYTES = 16 * 1024 * 1024
UploadId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
Offset = Annotated[int, Header(alias=UPLOAD_OFFSET_HEADER, ge=0)]


def _offset_headers(response: Response, status: UploadStatus) -> None:
    response.headers[UPLOAD_OFFSET_HEADER] = str(status.offset)
    response.headers[UPLOAD_LENGTH_HEADER] = str(status.size)
    response.headers["Cache-Control"] = "no-store"


async def _read_slice(request: Request) -> bytes:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_SLICE_BYTES:
            raise PayloadTooLarge(
                f"Send an upload in slices of at most {MAX_SLICE_BYTES // (1024 * 1024)} MiB.",
                code="slice_too_large",
            )
    return bytes(data)


@router.post("", status_code=201, response_model=UploadStatus, responses=errors(401, 403, 404, 422))
async def create_upload(
    body: UploadCreate, response: Response, _: AdminDep, clients: UpstreamsDep
) -> UploadStatus:
    """Declare a master (file name, size, title); 413 above the pipeline's size limit."""
    title = await clients.catalog.title(body.title_id, Maturity.ADULT, unpublished=True)  # 404
    status = await clients.pipeline.create_upload(body)
    if title.availability is Availability.FAILED:
        # A new try: the title is processing again (still hidden from viewers until published).
        await clients.catalog.set_availability(title.id, Availability.PROCESSING)
    _offset_headers(response, status)
    return status


@router.head("/{upload_id}", response_class=Response, responses=errors(401, 403, 404))
async def upload_offset(upload_id: UploadId, _: AdminDep, clients: UpstreamsDep) -> Response:
    """Where to resume: the `Upload-Offset` the server holds (and `Upload-Length`)."""
    response = Response(status_code=200)
    _offset_headers(response, await clients.pipeline.upload_status(upload_id))
    return response


@router.get("/{upload_id}", response_model=UploadStatus, responses=errors(401, 403, 404))
async def upload_status(
    upload_id: UploadId, response: Response, _: AdminDep, clients: UpstreamsDep
) -> UploadStatus:
    """The upload's state: bytes received, and once complete its job (or why it was rejected)."""
    status = await clients.pipeline.upload_status(upload_id)
    _offset_headers(response, status)
    return status


@router.patch(
    "/{upload_id}", response_model=UploadStatus, responses=errors(401, 403, 404, 409, 422)
)
async def append(
    upload_id: UploadId,
    offset: Offset,
    request: Request,
    response: Response,
    _: AdminDep,
    clients: UpstreamsDep,
) -> UploadStatus:
    """Append the body at `Upload-Offset`.

    409 `offset_mismatch`: resume from `HEAD`'s offset. The slice that completes the file runs
    the media check: 422 `invalid_media` with the reason (nothing is kept), else the job starts.
    """
    status = await clients.pipeline.append(upload_id, offset, await _read_slice(request))
    _offset_headers(response, status)
    return status
