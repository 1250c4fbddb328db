"""Browsing pages: home rows, search and a title's page, all at the profile's maturity level.

Titles never published appear only to admins (with their state), never to viewers."""

from __future__ import annotations

import asyncio
from contextlib import AbstractContextManager
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from vodstack.clients.catalog import CatalogClient
from vodstack.clients.resilience.stale import collecting_stale
from vodstack.contracts.catalog import (
    Availability,
    Genre,
    Title,
    TitleKind,
    TitleSort,
    TitleSummary,
)
from vodstack.contracts.recs import HomeRows, Row, RowKind
from vodstack.core import deadline
from vodstack.gateway.api.playback import viewer_region
from vodstack.gateway.deps import StateDep, UpstreamsDep, Viewer
from vodstack.gateway.experiments import home_row_order
from vodstack.gateway.my_list import listed_ids, listed_titles
from vodstack.gateway.state import GatewayState
from vodstack.gateway.upstreams import Upstreams
from vodstack.gateway.web.continue_row import continue_row
from vodstack.gateway.web.episodes import SeriesProgress, movie_progress, series_progress, slots
from vodstack.gateway.web.guards import PageViewerDep
from vodstack.gateway.web.home_rows import personal_rows, trending_titles
from vodstack.gateway.web.preparing import makes_demo_media, media_preparation
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


def _page_budget(state: GatewayState) -> AbstractContextManager[float]:
    """The page answers within `upstream_timeout_s` of its arrival: its calls stop a render
    reserve before that, and whatever has not answered by then falls back."""
    settings = state.settings
    return deadline.page(settings.upstream_timeout_s, settings.resilience.page_render_reserve_s)


def _render(
    request: Request, pages: PagesDep, viewer: Viewer, name: str, **context: Any
) -> Response:
    return pages.render(request, name, session=viewer.session, **context)


@router.get("/")
async def home(
    request: Request,
    viewer: PageViewerDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    state: StateDep,
) -> Response:
    """A viewer's rows come from the recommendations service, chosen and ordered for the
    profile; admins (who also browse unpublished titles) and any viewer while that service is
    down get the static rows, with "Trending now" first."""
    if viewer.sees_unpublished or not state.settings.recs.personalized_home:
        return await _static_home(request, viewer, pages, clients, state, trending=False)
    settings = state.settings
    region = viewer_region(request, settings, None)
    with _page_budget(state):
        personal, listed, preparing, order = await asyncio.gather(
            personal_rows(clients, viewer, region),
            listed_ids(clients, viewer),
            media_preparation(clients, viewer.maturity, demo_media=makes_demo_media(settings)),
            home_row_order(clients, viewer, settings.experiments.assign_timeout_s),
        )
    if personal is None:
        return await _static_home(request, viewer, pages, clients, state)
    my_list = await listed_titles(clients, viewer, listed)
    context = {
        "featured": _featured(_first_row(personal, RowKind.NEW, RowKind.TOP_PICKS)),
        "personal": led_by(personal.rows, order),
        "my_list": my_list,
        "listed": set(listed),
        "preparing": preparing,
    }
    return _render(request, pages, viewer, "home.html", **context)


# Which personalized rows a cell of the home-row-order experiment puts first (the rest keep the
# recommender's order): the static page's row kinds, mapped onto the recs service's.
_LEADS = {"new": {RowKind.NEW}, "genres": {RowKind.GENRE}, "continue": {RowKind.CONTINUE}}


def led_by(rows: list[Row], order: tuple[str, ...]) -> list[Row]:
    """The personalized rows with the kind the experiment's cell names first moved to the top."""
    lead = _LEADS.get(order[0], set()) if order else set()
    return [r for r in rows if r.kind in lead] + [r for r in rows if r.kind not in lead]


async def _none() -> list[Title]:
    return []


def _first_row(page: HomeRows, *kinds: RowKind) -> list[TitleSummary]:
    for kind in kinds:
        for row in page.rows:
            if row.kind is kind:
                return [item.title for item in row.items]
    return []


async def _static_home(
    request: Request,
    viewer: Viewer,
    pages: PagesDep,
    clients: Upstreams,
    state: GatewayState,
    *,
    trending: bool = True,
) -> Response:
    unpublished = viewer.sees_unpublished
    # Rows answered from the last good answer (catalog down or frozen) are shown, marked. All
    # the page's calls share one page budget: a second wave does not wait another one out.
    with collecting_stale() as stale, _page_budget(state):
        newest, genres, started, listed, preparing, (hot, order) = await asyncio.gather(
            clients.catalog.titles(
                viewer.maturity, sort=TitleSort.NEW, limit=ROW_LENGTH, unpublished=unpublished
            ),
            clients.catalog.genres(viewer.maturity, unpublished=unpublished),
            continue_row(clients.history, clients.catalog, viewer),
            listed_ids(clients, viewer),
            media_preparation(
                clients, viewer.maturity, demo_media=makes_demo_media(state.settings)
            ),
            asyncio.gather(
                trending_titles(clients.telemetry, clients.catalog, viewer)
                if trending
                else _none(),
                home_row_order(clients, viewer, state.settings.experiments.assign_timeout_s),
            ),
        )
        rows, my_list = await asyncio.gather(
            _genre_rows(clients.catalog, viewer, genres), listed_titles(clients, viewer, listed)
        )
    context = {
        "featured": _featured(newest.items),
        "newest": newest.items,
        "trending": hot,
        "rows": rows,
        "started": started,
        "my_list": my_list,
        "listed": set(listed),
        "stale": bool(stale),
        "preparing": preparing,
        "row_order": order,
    }
    return _render(request, pages, viewer, "home.html", **context)


def _featured(newest: list[TitleSummary]) -> TitleSummary | None:
    """The billboard's title: the newest one that plays."""
    playable = [t for t in newest if t.availability is Availability.AVAILABLE]
    return playable[0] if playable else None


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
    title, listed = await asyncio.gather(
        clients.catalog.title(title_id, viewer.maturity, unpublished=viewer.sees_unpublished),
        listed_ids(clients, viewer),
    )
    if title.episode_of is not None:
        return RedirectResponse(f"/title/{title.episode_of.series_id}", status_code=303)
    series, play_id = await _what_plays(clients, viewer, title)
    playable = title.availability is Availability.AVAILABLE and play_id is not None
    if playable and title.kind is not TitleKind.SERIES:
        series = await movie_progress(clients.history, viewer.profile.id, title)
    context = {
        "title": title,
        "playable": playable,
        "play_id": play_id,
        "series": series,
        "episodes": slots(title),
        "in_list": title.id in listed,
    }
    return _render(request, pages, viewer, "title.html", **context)


async def _what_plays(
    clients: Upstreams, viewer: Viewer, title: Title
) -> tuple[SeriesProgress, int | None]:
    """A series plays the episode up next (one without any published plays its own video,
    if it has one); anything else plays itself."""
    series = SeriesProgress({}, None, resuming=False)
    if title.kind is TitleKind.SERIES:
        series = await series_progress(clients.history, viewer.profile.id, title)
    play_id = series.up_next.episode.id if series.up_next else None
    if play_id is None and title.asset_version is not None:
        play_id = title.id
    return series, play_id


@router.get("/play/{title_id}")
async def play(
    title_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    viewer: PageViewerDep,
    clients: UpstreamsDep,
) -> Response:
    """Play a title from anywhere (billboard, tiles): a series goes to its episode up next."""
    title = await clients.catalog.title(
        title_id, viewer.maturity, unpublished=viewer.sees_unpublished
    )
    _, play_id = await _what_plays(clients, viewer, title)
    return RedirectResponse(f"/watch/{play_id or title.id}", status_code=303)
