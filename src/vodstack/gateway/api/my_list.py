"""`/api/my-list`: the current profile's "My List" (titles kept to watch later)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from vodstack.contracts.catalog import Title
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import UpstreamsDep, ViewerDep
from vodstack.gateway.my_list import listed_titles

router = APIRouter(prefix="/api/my-list", tags=["my list"])


@router.get("", response_model=list[Title], responses=errors(401, 409))
async def my_list(viewer: ViewerDep, clients: UpstreamsDep) -> list[Title]:
    """The profile's list, most recently added first (titles it may no longer see left out)."""
    account, profile = viewer.session.account.id, viewer.profile.id
    entries = await clients.accounts.my_list(account, profile)
    return await listed_titles(clients, viewer, [entry.title_id for entry in entries])


@router.put(
    "/{title_id}", status_code=204, response_class=Response, responses=errors(401, 404, 409)
)
async def add(title_id: Id, viewer: ViewerDep, clients: UpstreamsDep) -> Response:
    """Add a title (one the profile may see: 404 otherwise); adding it again changes nothing."""
    await clients.catalog.title(title_id, viewer.maturity, unpublished=viewer.sees_unpublished)
    await clients.accounts.add_to_list(viewer.session.account.id, viewer.profile.id, title_id)
    return Response(status_code=204)


@router.delete("/{title_id}", status_code=204, response_class=Response, responses=errors(401, 409))
async def remove(title_id: Id, viewer: ViewerDep, clients: UpstreamsDep) -> Response:
    """Take a title off the list (idempotent)."""
    await clients.accounts.remove_from_list(viewer.session.account.id, viewer.profile.id, title_id)
    return Response(status_code=204)
