"""`/artwork/{id}.svg`: the catalog's generated posters, public and cacheable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import UpstreamsDep

router = APIRouter(tags=["artwork"])

# An SVG opened directly must not run script, whatever ended up inside it.
_SAFETY = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
_PASSED_ON = ("cache-control", "etag")


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
) -> Response:
    """A title's poster as SVG (public; revalidate with If-None-Match)."""
    upstream = await clients.catalog.artwork(title_id, if_none_match)
    headers = {k: v for k, v in upstream.headers.items() if k in _PASSED_ON}
    headers.update(_SAFETY)
    if upstream.status_code == 304:
        return Response(status_code=304, headers=headers)
    return Response(upstream.content, media_type="image/svg+xml", headers=headers)
