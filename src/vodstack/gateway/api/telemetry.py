"""`/api/admin/telemetry`: the QoE series for the operators' dashboard (admin role only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vodstack.contracts.telemetry import SeriesPoint, Split
from vodstack.gateway.api.docs import errors
from vodstack.gateway.deps import AdminDep, UpstreamsDep

router = APIRouter(prefix="/api/admin/telemetry", tags=["admin"])


@router.get("/series", response_model=list[SeriesPoint], responses=errors(401, 403, 422))
async def series(
    _: AdminDep,
    clients: UpstreamsDep,
    window_s: Annotated[int, Query(ge=10, le=7 * 24 * 3600)] = 600,
    split: Split = Split.NONE,
) -> list[SeriesPoint]:
    """Stream starts/s, startup p50/p90, rebuffer ratio, average bitrate and errors per
    10 s bucket over the last `window_s`, optionally split by region, edge, ABR or title."""
    return await clients.telemetry.series(window_s, split)
