"""A published title's changes that publish a new asset version, for admins: its encryption
and an added audio language (the pipeline's title routes do the work, pipeline.service).

`PUT /api/admin/titles/{id}/encryption` sets whether the title plays encrypted; a change
re-encodes its latest master. `POST /api/admin/audio/{id}?language=fr` takes the audio file as
its body (bounded by `MAX_AUDIO_BYTES`: the gateway holds it whole; larger files go through
`vodstack audio add`, which talks to the pipeline) and answers with the new version's job.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from vodstack.contracts.common import Maturity
from vodstack.contracts.pipeline import JobDetail, TitleEncryption, TitleEncryptionChange
from vodstack.core.errors import PayloadTooLarge
from vodstack.delivery.languages import LANGUAGE
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import AdminDep, UpstreamsDep

AUDIO_PREFIX = "/api/admin/audio/"
MAX_AUDIO_BYTES = 64 * 1024 * 1024  # a 2 h stereo AAC track at 64 kbit/s
router = APIRouter(tags=["admin"])


@router.get(
    "/api/admin/titles/{title_id}/encryption",
    response_model=TitleEncryption,
    responses=errors(401, 403),
)
async def get_encryption(title_id: Id, _: AdminDep, clients: UpstreamsDep) -> TitleEncryption:
    """Whether the title's next versions are encrypted (its setting, else the default)."""
    return await clients.pipeline.encryption(title_id)


@router.put(
    "/api/admin/titles/{title_id}/encryption",
    response_model=TitleEncryptionChange,
    responses=errors(401, 403, 404),
)
async def put_encryption(
    title_id: Id, body: TitleEncryption, _: AdminDep, clients: UpstreamsDep
) -> TitleEncryptionChange:
    """Encrypt the title or play it in the clear; a change publishes a new version."""
    await clients.catalog.title(title_id, Maturity.ADULT, unpublished=True)  # 404
    return await clients.pipeline.set_encryption(title_id, body.encrypt)


@router.post(
    AUDIO_PREFIX + "{title_id}",
    status_code=201,
    response_model=JobDetail,
    responses=errors(401, 403, 404, 413, 422),
    # Any container ffmpeg reads (M4A, AAC, WAV, FLAC, MKA...): the body is bytes, probed after.
    openapi_extra={"requestBody": {"content": {"application/octet-stream": {}}}},
)
async def add_audio(
    title_id: Id,
    request: Request,
    _: AdminDep,
    clients: UpstreamsDep,
    language: Annotated[str, Query(pattern=LANGUAGE.pattern, max_length=35)],
    name: Annotated[str, Query(max_length=80, description="shown in menus")] = "",
) -> JobDetail:
    """Add the `language` audio of the body's file: the job of the title's new version."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_AUDIO_BYTES:
            raise PayloadTooLarge(
                f"Through the admin an audio file may be at most {MAX_AUDIO_BYTES >> 20} MiB; "
                "use `vodstack audio add` for larger ones.",
                code="audio_too_large",
            )
    await clients.catalog.title(title_id, Maturity.ADULT, unpublished=True)  # 404
    return await clients.pipeline.add_audio(title_id, language, bytes(data), name=name)
