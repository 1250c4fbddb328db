"""The operators' CDN page (admin only): offload per region and edge, fills, evictions."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request
from starlette.responses import Response

from vodstack.delivery.topology import Topology
from vodstack.gateway.deps import StateDep
from vodstack.gateway.edge_overview import overview
from vodstack.gateway.web.guards import PageAdminDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter(prefix="/admin")


@router.get("/cdn")
async def cdn_page(
    request: Request, session: PageAdminDep, pages: PagesDep, state: StateDep
) -> Response:
    async with httpx.AsyncClient() as client:
        figures = await overview(
            Topology.from_settings(state.settings), client, state.settings.service_url("planner")
        )
    return pages.render(request, "admin_cdn.html", session=session, cdn=figures)
