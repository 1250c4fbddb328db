"""Browsing pages: home rows, search and a title's page, all at the profile's maturity level."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from vodstack.clients.catalog import CatalogClient
from vodstack.contracts.catalog import Availability, Genre, TitleSort, TitleSummary
from vodstack.contracts.common import Maturity
from vodstack.gateway.deps import UpstreamsDep, Viewer
from vodstack.gateway.web.guards import PageViewerDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter()

ROW_LENGTH = 20
MAX_GENRE_ROWS = 12


async def _genre_rows(
    catalog: CatalogClient, maturity: Maturity, genres: list[Genre]
) -> list[tuple[Genre, list[TitleSummary]]]:
    chosen = genres[:MAX_GENRE_ROWS]
    pages = await asyncio.gather(
        *(catalog.titles(maturity, genre=g.slug, limit=ROW_LENGTH) for g in chosen)
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
    newest, genres = await asyncio.gather(
        clients.catalog.titles(viewer.maturity, sort=TitleSort.NEW, limit=ROW_LENGTH),
        clients.catalog.genres(viewer.maturity),
    )
    rows = await _genre_rows(clients.catalog, viewer.maturity, genres)
    return _render(request, pages, viewer, "home.html", newest=newest.items, rows=rows)


@router.get("/search")
async def search(
    request: Request,
    viewer: PageViewerDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    results = await clients.catalog.search(q, viewer.maturity) if q.strip() else None
    return _render(request, pages, viewer, "search.html", query=q, results=results)


@router.get("/title/{title_id}")
async def title_page(
    request: Request,
    title_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    viewer: PageViewerDep,
    pages: PagesDep,
    clients: UpstreamsDep,
) -> Response:
    title = await clients.catalog.title(title_id, viewer.maturity)
    playable = title.availability is Availability.AVAILABLE
    return _render(request, pages, viewer, "title.html", title=title, playable=playable)
