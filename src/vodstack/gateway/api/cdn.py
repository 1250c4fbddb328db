"""`/api/admin/cdn`: offload, fills and evictions per edge and region (admin role only)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from vodstack.delivery.topology import Topology
from vodstack.gateway.api.docs import errors
from vodstack.gateway.deps import AdminDep, StateDep
from vodstack.gateway.edge_overview import CdnOverview, overview

router = APIRouter(prefix="/api/admin/cdn", tags=["admin"])


@router.get("", response_model=CdnOverview, responses=errors(401, 403))
async def cdn_overview(_: AdminDep, state: StateDep) -> CdnOverview:
    """Every edge's figures since it started (down edges marked), summed per region."""
    async with httpx.AsyncClient() as client:
        return await overview(
            Topology.from_settings(state.settings), client, state.settings.service_url("planner")
        )
