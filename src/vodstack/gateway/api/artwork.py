"""`/artwork/{id}/image` and `/artwork/{id}.svg`: a title's artwork, public and cacheable.

The image is, in order: what an editor uploaded (the catalog keeps it), else the poster frame
the pipeline picked from the video (`poster.jpg` of the published version, read from the
origin; a series without media of its own uses its first published episode's), else the
catalog's generated background without the name (pages set the name in type over artwork).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from vodstack.clients.catalog import CatalogClient
from vodstack.contracts.catalog import Availability, Title
from vodstack.contracts.common import Maturity
from vodstack.core.errors import ServiceUnavailable
from vodstack.core.etags import etag_matches
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.asset_files import AssetFiles
from vodstack.gateway.deps import UpstreamsDep

router = APIRouter(tags=["artwork"])

# An SVG opened directly must not run script, whatever ended up inside it.
_SAFETY = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
_PASSED_ON = ("cache-control", "etag")
# Short: a new upload or a new published version shows within minutes without a purge.
_IMAGE_CACHE = "public, max-age=300, stale-while-revalidate=3600"
_POSTER = "poster.jpg"
_IMAGES: dict[str, dict[str, Any]] = {
    "image/jpeg": {},
    "image/png": {},
    "image/webp": {},
    "image/svg+xml": {},
}


@router.get(
    "/artwork/{title_id}.svg",
    response_class=Response,
    responses={
        200: {"content": {"image/svg+xml": {}}},
        304: {"description": "Not modified (the ETag still matches)"},
        **errors(404, 422),
    },
)
async def artwork(
    title_id: Id,
    clients: UpstreamsDep,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
    bare: bool = False,
) -> Response:
    """A title's generated poster as SVG (public; revalidate with If-None-Match); `bare`
    leaves the name out."""
    upstream = await clients.catalog.artwork(title_id, if_none_match, bare=bare)
    headers = {k: v for k, v in upstream.headers.items() if k in _PASSED_ON}
    headers.update(_SAFETY)
    if upstream.status_code == 304:
        return Response(status_code=304, headers=headers)
    return Response(upstream.content, media_type="image/svg+xml", headers=headers)


@router.get(
    "/artwork/{title_id}/image",
    response_class=Response,
    responses={200: {"content": _IMAGES}, 304: {"description": "Not modified"}, **errors(404)},
)
async def image(
    title_id: Id,
    clients: UpstreamsDep,
    if_none_match: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """A title's artwork: the uploaded image, else a frame of its video, else a background."""
    uploaded = await clients.catalog.uploaded_artwork(title_id)
    if uploaded is not None:
        tag = uploaded.headers.get("etag", "")
        media_type = uploaded.headers.get("content-type", "image/jpeg")
        return _image(uploaded.content, media_type, tag, if_none_match)
    source = await _frame_source(clients.catalog, title_id)
    if source is not None:
        tag = f'"frame-{source[0]}-{source[1]}"'
        if etag_matches(if_none_match, tag):
            return Response(status_code=304, headers={"ETag": tag, "Cache-Control": _IMAGE_CACHE})
        frame = await _frame(clients.assets, *source)
        if frame is not None:
            return _image(frame, "image/jpeg", tag, None)
    return await artwork(title_id, clients, if_none_match, bare=True)


def _image(body: bytes, media_type: str, tag: str, if_none_match: str | None) -> Response:
    headers = {"ETag": tag, "Cache-Control": _IMAGE_CACHE, "X-Content-Type-Options": "nosniff"}
    if tag and etag_matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


async def _frame_source(catalog: CatalogClient, title_id: int) -> tuple[int, str] | None:
    """(title id, published version) whose poster frame stands for the title."""
    title = await catalog.title(title_id, Maturity.ADULT, unpublished=True)
    if title.asset_version is not None:
        return title.id, title.asset_version
    episode_id = _first_published_episode(title)
    if episode_id is None:
        return None
    episode = await catalog.title(episode_id, Maturity.ADULT, unpublished=True)
    return (episode.id, episode.asset_version) if episode.asset_version else None


def _first_published_episode(title: Title) -> int | None:
    for season in title.seasons:
        for episode in season.episodes:
            if episode.availability is Availability.AVAILABLE and episode.id is not None:
                return episode.id
    return None


async def _frame(assets: AssetFiles, title_id: int, version: str) -> bytes | None:
    try:
        response = await assets.file(title_id, version, _POSTER)
    except ServiceUnavailable:
        return None  # the origin is down: the generated background still shows something
    return None if response is None else response.content
