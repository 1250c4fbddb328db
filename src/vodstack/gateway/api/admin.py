"""`/api/admin`: catalog management, for accounts with the admin role only."""

from __future__ import annotations

from fastapi import APIRouter, Response

from vodstack.contracts.catalog import Title, TitleCreate, TitleUpdate
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import AdminDep, UpstreamsDep

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.post("/titles", status_code=201, response_model=Title, responses=errors(401, 403, 422))
async def create_title(body: TitleCreate, _: AdminDep, clients: UpstreamsDep) -> Title:
    """Add a title (it shows as "Processing" until its media is published)."""
    return await clients.catalog.create(body)


@router.patch("/titles/{title_id}", response_model=Title, responses=errors(401, 403, 404, 422))
async def update_title(
    title_id: Id, body: TitleUpdate, _: AdminDep, clients: UpstreamsDep
) -> Title:
    """Change some of a title's fields."""
    return await clients.catalog.update(title_id, body)


@router.delete(
    "/titles/{title_id}",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def delete_title(title_id: Id, _: AdminDep, clients: UpstreamsDep) -> Response:
    """Remove a title from the catalog."""
    await clients.catalog.delete(title_id)
    return Response(status_code=204)
