"""Browsing pages: home rows, search and a title's page, all at the profile's maturity level.

Titles never published appear only to admins (with their state), never to viewers."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from vodstack.clients.catalog import CatalogClient
from vodstack.contracts.catalog import Availability, Genre, TitleSort, TitleSummary
from vodstack.gateway.deps import UpstreamsDep, Viewer
from vodstack.gateway.web.continue_row import continue_row
from vodstack.gateway.web.guards import PageViewerDep
from vodstack.gateway.web.preparing import media_preparation
from vodstack.gateway.web.templating import PagesDep

router = APIRouter()

ROW_LENGTH = 20
MAX_GENRE_ROWS = 12


async def _genre_rows(
    catalog: CatalogClient, viewer: Viewer, genres: list[Genre]
) -> list[tuple[Genre, list[TitleSummary]]]:
    chosen = genres[:MAX_GENRE_ROWS]
    unpublished = viewer.sees_unpublished
    pages = await asyncio.gather(
        *(
            catalog.titles(viewer.maturity, genre=g.slug, limit=ROW_LENGTH, unpublished=unpublished)
            for g in chosen
        )
    )
    return [(genre, page.items) for genre, page in zip(chosen, pages, strict=True) if page.items]


def _render(
    request: Request, pages: PagesDep, viewer: Viewer, name: str, **context: Any
) -> Response:
    return pages.render(request, name, session=viewer.session, **context)


@router.get("/")
async def home(
    request: Request, viewer: PageViewerDep, pages: PagesDep, clients: UpstreamsDep
) -> Response:
    unpublished = viewer.sees_unpublished
    newest, genres, started, preparing = await asyncio.gather(
        clients.catalog.titles(
            viewer.maturity, sort=TitleSort.NEW, limit=ROW_LENGTH, unpublished=unpublished
        ),
        clients.catalog.genres(viewer.maturity, unpublished=unpublished),
        continue_row(clients.history, clients.catalog, viewer),
        media_preparation(clients, viewer.maturity),
    )
    rows = await _genre_rows(clients.catalog, viewer, genres)
    context = {"newest": newest.items, "rows": rows, "started": started, "preparing": preparing}
    return _render(request, pages, viewer, "home.html", **context)


@router.get("/search")
async def search(
    request: Request,
    viewer: PageViewerDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    results = None
    if q.strip():
        results = await clients.catalog.search(
            q, viewer.maturity, unpublished=viewer.sees_unpublished
        )
    return _render(request, pages, viewer, "search.html", query=q, results=results)


@router.get("/title/{title_id}")
async def title_page(
    request: Request,
    title_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    viewer: PageViewerDep,
    pages: PagesDep,
    clients: UpstreamsDep,
) -> Response:
    title = await clients.catalog.title(
        title_id, viewer.maturity, unpublished=viewer.sees_unpublished
    )
    playable = title.availability is Availability.AVAILABLE
    return _render(request, pages, viewer, "title.html", title=title, playable=playable)
