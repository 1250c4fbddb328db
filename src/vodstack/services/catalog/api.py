"""HTTP routes of the catalog (see `contracts.catalog` for the API). Thin: parse, call, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from vodstack.contracts.catalog import (
    ArtworkInfo,
    AvailabilityChange,
    Genre,
    SearchQuery,
    SearchResults,
    Title,
    TitleCreate,
    TitleKind,
    TitlePage,
    TitleSort,
    TitleUpdate,
)
from vodstack.contracts.common import Changes, Maturity
from vodstack.core.etags import etag_matches
from vodstack.services.catalog.artwork import CACHE_CONTROL
from vodstack.services.catalog.service import CatalogService, TitleQuery

router = APIRouter(prefix="/v1", tags=["catalog"])

MAX_PAGE = 100
MAX_CHANGES = 1000


# async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per request for an attribute lookup.
async def catalog_service(request: Request) -> CatalogService:
    service: CatalogService = request.app.state.catalog
    return service


Service = Annotated[CatalogService, Depends(catalog_service)]
# Bounded so a huge id is a 404 or 422, never an integer overflow in the database driver.
TitleId = Annotated[int, Path(ge=1, le=2**62)]
Viewer = Annotated[Maturity, Query(description="The viewer's maturity level.")]
Unpublished = Annotated[
    bool, Query(description="Include titles never published (processing or failed): admins.")
]


@router.get("/titles", response_model=TitlePage)
def list_titles(
    service: Service,
    maturity: Viewer,
    genre: Annotated[str | None, Query(max_length=60)] = None,
    kind: TitleKind | None = None,
    sort: TitleSort = TitleSort.NEW,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
    unpublished: Unpublished = False,
) -> Response:
    query = TitleQuery(maturity, genre, kind, sort, limit, offset, unpublished)
    page = service.list_titles(query)
    # The hot path of the listing benchmark: serialize once, skip FastAPI's re-validation.
    return Response(page.model_dump_json(), media_type="application/json")


@router.get("/titles/changes", response_model=Changes)
def title_changes(
    service: Service,
    after: Annotated[int, Query(ge=0, le=2**62, description="The cursor of the last answer.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_CHANGES)] = MAX_CHANGES,
) -> Response:
    """The titles changed since `after` (internal: playback's cache of titles)."""
    changes = service.changes(after, limit)
    return Response(changes.model_dump_json(), media_type="application/json")


@router.get("/titles/{title_id}")
def get_title(
    service: Service, title_id: TitleId, maturity: Viewer, unpublished: Unpublished = False
) -> Title:
    return service.get_title(title_id, maturity, unpublished=unpublished)


@router.get("/search")
def search(
    service: Service,
    maturity: Viewer,
    q: Annotated[SearchQuery, Query()] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    unpublished: Unpublished = False,
) -> SearchResults:
    return service.search(q, maturity, limit, unpublished=unpublished)


@router.get("/genres")
def genres(service: Service, maturity: Viewer, unpublished: Unpublished = False) -> list[Genre]:
    return service.genres(maturity, unpublished=unpublished)


@router.get(
    "/titles/{title_id}/artwork.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, 304: {"description": "Not modified"}},
)
def artwork(service: Service, title_id: TitleId, request: Request, bare: bool = False) -> Response:
    poster = service.poster(title_id, bare=bare)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": poster.etag}
    if etag_matches(request.headers.get("if-none-match"), poster.etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(poster.svg, media_type="image/svg+xml", headers=headers)


@router.get(
    "/titles/{title_id}/artwork",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def uploaded_artwork(service: Service, title_id: TitleId) -> Response:
    image = service.artwork(title_id)
    return Response(image.data, media_type=image.content_type, headers={"ETag": image.etag})


@router.put("/titles/{title_id}/artwork")
async def upload_artwork(service: Service, title_id: TitleId, request: Request) -> ArtworkInfo:
    # The body is capped by the service's body limit before it is read (core.body_limit).
    data = await request.body()
    image = await run_in_threadpool(service.set_artwork, title_id, data)
    return ArtworkInfo(
        content_type=image.content_type, width=image.width, height=image.height, etag=image.etag
    )


@router.delete("/titles/{title_id}/artwork", status_code=status.HTTP_204_NO_CONTENT)
def delete_artwork(service: Service, title_id: TitleId) -> Response:
    service.delete_artwork(title_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/titles", status_code=status.HTTP_201_CREATED)
def create_title(service: Service, body: TitleCreate) -> Title:
    return service.create(body)


@router.patch("/titles/{title_id}")
def update_title(service: Service, title_id: TitleId, body: TitleUpdate) -> Title:
    return service.update(title_id, body)


@router.delete("/titles/{title_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_title(service: Service, title_id: TitleId) -> Response:
    service.delete(title_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/titles/{title_id}/availability")
def set_availability(service: Service, title_id: TitleId, body: AvailabilityChange) -> Title:
    return service.set_availability(title_id, body)
