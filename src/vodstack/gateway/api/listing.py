"""The catalog listing, the gateway's hottest route: the catalog's bytes passed through.

Two routes answer `GET /api/titles` with the same function (`pass_listing`). `ListingRoute`,
first in the app's routes, takes the requests whose query is plain (every parameter given at
most once, in its canonical form, within its bounds: what the web app and every client send)
and skips FastAPI's router and its parameter and dependency solving, which were about a third
of the gateway's own CPU per listing. Anything else (a bad value, a repeated parameter) is left
to the FastAPI route in `api.browse`, so validation and its 422s do not change; the session
checks and the upstream call are the same functions, raising the same errors to the same
handlers. The route keeps the template `/api/titles` for the metrics and the access line.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import Receive, Scope, Send

from vodstack.clients.resilience.stale import STALE_HEADER
from vodstack.contracts.catalog import TitleKind, TitleSort
from vodstack.gateway.deps import Viewer, require_viewer
from vodstack.gateway.upstreams import Upstreams

PATH = "/api/titles"
MAX_PAGE = 100
MAX_OFFSET = 1_000_000
MAX_GENRE = 40
#: Where `ListingRoute.matches` leaves the parsed query for its `handle`.
_QUERY_KEY = "vodstack.listing_query"
_KINDS = {kind.value: kind for kind in TitleKind}
_SORTS = {sort.value: sort for sort in TitleSort}


@dataclass(frozen=True, slots=True)
class ListingQuery:
    """What a viewer may choose of a listing; the maturity level is the profile's."""

    genre: str | None = None
    kind: TitleKind | None = None
    sort: TitleSort = TitleSort.NEW
    limit: int = 20
    offset: int = 0

    def params(self, viewer: Viewer) -> dict[str, str]:
        """The catalog's query parameters for this page, as `viewer` may see it."""
        params = {
            "maturity": viewer.maturity.value,
            "sort": self.sort.value,
            "limit": str(self.limit),
            "offset": str(self.offset),
        }
        if self.genre is not None:
            params["genre"] = self.genre
        if self.kind is not None:
            params["kind"] = self.kind.value
        if viewer.sees_unpublished:
            params["unpublished"] = "true"
        return params


async def pass_listing(viewer: Viewer, clients: Upstreams, query: ListingQuery) -> Response:
    """The catalog's answer, untouched; a fallback answer (the catalog down) says so."""
    upstream = await clients.catalog.titles_raw(query.params(viewer))
    stale = {STALE_HEADER: "1"} if upstream.headers.get(STALE_HEADER) else None
    return Response(upstream.content, media_type="application/json", headers=stale)


def _bounded(value: str, low: int, high: int) -> int:
    """`value` as an int when written plainly (ASCII digits, no sign, no leading zero)."""
    if not (value.isascii() and value.isdigit()) or (len(value) > 1 and value[0] == "0"):
        raise ValueError(value)
    number = int(value)
    if not low <= number <= high:
        raise ValueError(value)
    return number


def _genre(value: str) -> str:
    if not 1 <= len(value) <= MAX_GENRE:
        raise ValueError(value)
    return value


def plain_query(raw: bytes) -> ListingQuery | None:
    """The listing's query when it is plain; None when the FastAPI route must judge it.

    Parsed as Starlette parses it; parameters the route does not take are ignored, as FastAPI
    ignores them."""
    given: dict[str, str] = {}
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if key in given:
            return None
        given[key] = value
    try:
        genre, kind, sort = given.get("genre"), given.get("kind"), given.get("sort")
        return ListingQuery(
            genre=None if genre is None else _genre(genre),
            kind=None if kind is None else _KINDS[kind],
            sort=TitleSort.NEW if sort is None else _SORTS[sort],
            limit=_bounded(given.get("limit", "20"), 1, MAX_PAGE),
            offset=_bounded(given.get("offset", "0"), 0, MAX_OFFSET),
        )
    except (KeyError, ValueError):
        return None


class ListingRoute(BaseRoute):
    """`GET /api/titles` with a plain query, answered without FastAPI's solving (see above)."""

    path = path_format = PATH

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] != "GET" or get_route_path(scope) != PATH:
            return Match.NONE, {}
        query = plain_query(scope.get("query_string", b""))
        if query is None:
            return Match.NONE, {}
        return Match.FULL, {"route": self, _QUERY_KEY: query}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The same checks as the FastAPI route's dependencies: `verify_csrf` passes every GET.
        viewer = await require_viewer(Request(scope, receive))
        clients: Upstreams = scope["app"].state.upstreams
        response = await pass_listing(viewer, clients, scope[_QUERY_KEY])
        await response(scope, receive, send)
