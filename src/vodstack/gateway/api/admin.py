"""`/api/admin`: catalog management, for accounts with the admin role only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vodstack.contracts.catalog import ArtworkInfo, Title, TitleCreate, TitleUpdate
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


@router.put(
    "/titles/{title_id}/artwork",
    response_model=ArtworkInfo,
    responses=errors(401, 403, 404, 413, 422),
    openapi_extra={
        "requestBody": {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}
    },
)
async def upload_artwork(
    title_id: Id, request: Request, _: AdminDep, clients: UpstreamsDep
) -> ArtworkInfo:
    """Replace the title's artwork with the image in the body (JPEG, PNG or WebP, up to 2 MiB,
    160 to 8000 px a side); anything else is 422 `invalid_artwork` with the reason."""
    return await clients.catalog.set_artwork(title_id, await request.body())


@router.delete(
    "/titles/{title_id}/artwork",
    status_code=204,
    response_class=Response,
    responses=errors(401, 403, 404),
)
async def delete_artwork(title_id: Id, _: AdminDep, clients: UpstreamsDep) -> Response:
    """Go back to the artwork taken from the video."""
    await clients.catalog.delete_artwork(title_id)
    return Response(status_code=204)
