"""`/api/history`: the current profile's continue-watching row and resume points."""

from __future__ import annotations

from fastapi import APIRouter

from vodstack.contracts.history import Position
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import UpstreamsDep, ViewerDep

router = APIRouter(prefix="/api/history", tags=["history"])


@router.get("/continue", response_model=list[Position], responses=errors(401, 409))
async def continue_watching(viewer: ViewerDep, clients: UpstreamsDep) -> list[Position]:
    """Titles the current profile started and has not finished, most recent first."""
    return await clients.history.continue_watching(viewer.profile.id)


@router.get("/titles/{title_id}", response_model=Position, responses=errors(401, 404, 409))
async def resume(title_id: Id, viewer: ViewerDep, clients: UpstreamsDep) -> Position:
    """Where the current profile stopped in a title (404 `no_history` if never played)."""
    return await clients.history.resume(viewer.profile.id, title_id)
