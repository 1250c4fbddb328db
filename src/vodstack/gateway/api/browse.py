"""Browsing the catalog: always as the current profile, at its maturity level.

Kids never see adult titles because the profile's level, never the caller's, is what the
catalog filters on, for listings, single titles and search alike. Titles never published are
shown to admins only (their state says why they cannot be played).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from vodstack.contracts.catalog import Genre, SearchResults, Title, TitleKind, TitlePage, TitleSort
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.api.listing import (
    MAX_GENRE,
    MAX_OFFSET,
    MAX_PAGE,
    ListingQuery,
    pass_listing,
)
from vodstack.gateway.deps import UpstreamsDep, ViewerDep

router = APIRouter(prefix="/api", tags=["browse"])

GenreSlug = Annotated[str | None, Query(min_length=1, max_length=MAX_GENRE)]


@router.get("/titles", response_model=TitlePage, responses=errors(401, 409, 422))
async def list_titles(
    viewer: ViewerDep,
    clients: UpstreamsDep,
    genre: GenreSlug = None,
    kind: TitleKind | None = None,
    sort: TitleSort = TitleSort.NEW,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """A page of titles the profile may watch. The hot path: the catalog's bytes pass through.

    Plain queries never reach this function: `api.listing.ListingRoute` answers them the same way
    without FastAPI's parameter and dependency solving; here come the others (and their 422s)."""
    query = ListingQuery(genre=genre, kind=kind, sort=sort, limit=limit, offset=offset)
    return await pass_listing(viewer, clients, query)


@router.get("/titles/{title_id}", response_model=Title, responses=errors(401, 404, 409, 422))
async def get_title(title_id: Id, viewer: ViewerDep, clients: UpstreamsDep) -> Title:
    """One title with cast and seasons; 404 when it is above the profile's maturity level."""
    return await clients.catalog.title(
        title_id, viewer.maturity, unpublished=viewer.sees_unpublished
    )


@router.get("/search", response_model=SearchResults, responses=errors(401, 409, 422))
async def search(
    viewer: ViewerDep,
    clients: UpstreamsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> SearchResults:
    """Titles whose name (or a word in it) starts with `q`, best matches first."""
    return await clients.catalog.search(
        q, viewer.maturity, limit, unpublished=viewer.sees_unpublished
    )


@router.get("/genres", response_model=list[Genre], responses=errors(401, 409))
async def genres(viewer: ViewerDep, clients: UpstreamsDep) -> list[Genre]:
    """Genres with at least one title the profile may watch."""
    return await clients.catalog.genres(viewer.maturity, unpublished=viewer.sees_unpublished)
