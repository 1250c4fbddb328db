"""`/api/admin/titles/{id}/subtitles`: a title's subtitle languages, for admins.

The body of a `PUT` is the SRT or WebVTT file itself. The gateway reads it (bounded), looks the
title up for its length and the version it plays now, and hands both to the pipeline, which
validates, sanitises and stores the track: 422 `invalid_subtitles` lists each bad line in
`details`, 413 past the size cap.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from vodstack.contracts.common import Maturity
from vodstack.contracts.pipeline import SubtitleTrackInfo
from vodstack.core.errors import PayloadTooLarge
from vodstack.delivery.languages import LANGUAGE
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import AdminDep, UpstreamsDep

router = APIRouter(prefix="/api/admin/titles", tags=["admin"])

MAX_SUBTITLE_BYTES = 2 * 1024 * 1024  # the pipeline's cap (media.subtitles); checked again there
Language = Annotated[
    str,
    Path(pattern=LANGUAGE.pattern, max_length=35, description="BCP 47 tag: en, fr, pt-BR"),
]


@router.get(
    "/{title_id}/subtitles", response_model=list[SubtitleTrackInfo], responses=errors(401, 403)
)
async def list_subtitles(
    title_id: Id, _: AdminDep, clients: UpstreamsDep
) -> list[SubtitleTrackInfo]:
    """The title's subtitle languages."""
    return await clients.pipeline.subtitles(title_id)


@router.put(
    "/{title_id}/subtitles/{lang}",
    response_model=SubtitleTrackInfo,
    responses=errors(401, 403, 404, 413, 422),
    openapi_extra={"requestBody": {"content": {"text/vtt": {}, "application/x-subrip": {}}}},
)
async def put_subtitles(
    title_id: Id,
    lang: Language,
    request: Request,
    _: AdminDep,
    clients: UpstreamsDep,
    name: Annotated[str | None, Query(max_length=80, description="shown in menus")] = None,
) -> SubtitleTrackInfo:
    """Add or replace the `lang` subtitles (SRT or WebVTT, UTF-8, up to 2 MiB)."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_SUBTITLE_BYTES:
            raise PayloadTooLarge(
                f"A subtitle file may be at most {MAX_SUBTITLE_BYTES // 1024} KiB.",
                code="subtitles_too_large",
            )
    title = await clients.catalog.title(title_id, Maturity.ADULT, unpublished=True)  # 404
    return await clients.pipeline.put_subtitles(
        title_id,
        lang,
        bytes(data),
        name=name,
        duration_s=float(title.duration_s) if title.duration_s else None,
        asset_version=title.asset_version,
    )
