"""The watch page: the browser player for one title (playback starts from its script)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from vodstack.clients.catalog import CatalogClient
from vodstack.config.settings import Settings
from vodstack.contracts.catalog import Availability, Title
from vodstack.core.errors import VodstackError
from vodstack.delivery.assets import PREVIEW_SUFFIX
from vodstack.delivery.topology import Topology
from vodstack.gateway.deps import StateDep, UpstreamsDep, Viewer
from vodstack.gateway.vendor import ABR_MODULE, ABR_URL, MISSING_HINT, VendorFile, missing
from vodstack.gateway.web.guards import PageViewerDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter()


class StreamFormat(StrEnum):
    HLS = "hls"
    DASH = "dash"


_NEEDS = {
    StreamFormat.HLS: (VendorFile.HLS, VendorFile.HLS_WORKER),
    StreamFormat.DASH: (VendorFile.DASH,),
}


def player_policy(settings: Settings) -> str:
    """The watch page's CSP: segments, thumbnails and VTT come from the edges (and origin)."""
    topology = Topology.from_settings(settings)
    delivery = " ".join([*(edge.url for edge in topology.edges), topology.origin_url])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob: {delivery}; connect-src 'self' {delivery}; "
        "media-src 'self' blob:; worker-src 'self' blob:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )


@router.get("/watch/{title_id}")
async def watch(
    request: Request,
    title_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    viewer: PageViewerDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    state: StateDep,
    format: Annotated[str, Query(max_length=8)] = "hls",
    max_buffer: Annotated[float, Query(ge=0, le=600)] = 0,
) -> Response:
    """`?format=dash` plays the MPD; `?max_buffer=S` caps the buffer ahead (for tests)."""
    title = await clients.catalog.title(
        title_id, viewer.maturity, unpublished=viewer.sees_unpublished
    )
    chosen = StreamFormat.DASH if format == StreamFormat.DASH else StreamFormat.HLS
    next_episode = await _next_episode(clients.catalog, viewer, title)
    return pages.render(
        request,
        "watch.html",
        session=viewer.session,
        headers={"Content-Security-Policy": player_policy(state.settings)},
        title=title,
        playable=title.availability is Availability.AVAILABLE,
        format=chosen.value,
        max_buffer=max_buffer,
        vendor_missing=MISSING_HINT if missing(*_NEEDS[chosen]) else "",
        vendor={file.name.lower(): file.url for file in VendorFile},
        abr_url=ABR_URL if ABR_MODULE.is_file() else "",
        next_episode=next_episode,
        preview_suffix=PREVIEW_SUFFIX,
    )


async def _next_episode(catalog: CatalogClient, viewer: Viewer, title: Title) -> Title | None:
    """The episode the player offers near the end; None for a movie, the last episode, or
    when the catalog cannot say (the offer is an extra)."""
    if title.episode_of is None or title.episode_of.next_episode_id is None:
        return None
    try:
        return await catalog.title(
            title.episode_of.next_episode_id, viewer.maturity, unpublished=viewer.sees_unpublished
        )
    except VodstackError:
        return None
