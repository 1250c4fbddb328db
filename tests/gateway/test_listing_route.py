"""The listing's raw route (`api.listing`) answers exactly as the FastAPI route it stands in for."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.gateway import Stack, Visitor
from vodstack.contracts.catalog import TitleKind, TitleSort
from vodstack.gateway.api.listing import ListingQuery, ListingRoute, plain_query

# Plain queries (the raw route's) and others (FastAPI's, some of them 422s), side by side.
QUERIES = (
    "",
    "limit=2",
    "limit=100&offset=1",
    "sort=title&kind=movie",
    "genre=horror",
    "genre=sci-fi&sort=year&limit=1&offset=0",
    "unknown=1&limit=2",
    "maturity=adult",
    "limit=0",
    "limit=101",
    "limit=02",
    "limit=%2B2",
    "limit=abc",
    "limit=2&limit=3",
    "offset=-1",
    "offset=1000001",
    "kind=episode",
    "kind=film",
    "sort=",
    "genre=",
    "genre=" + "x" * 41,
    "limit=%EF%BC%92",  # a fullwidth digit two: not an ASCII digit
)


def test_plain_queries_are_parsed_as_fastapi_would() -> None:
    assert plain_query(b"") == ListingQuery()
    assert plain_query(b"genre=sci-fi&kind=series&sort=year&limit=5&offset=10") == ListingQuery(
        genre="sci-fi", kind=TitleKind.SERIES, sort=TitleSort.YEAR, limit=5, offset=10
    )
    assert plain_query(b"genre=sci%2Dfi&x=1") == ListingQuery(genre="sci-fi")
    assert plain_query(b"limit=100&offset=1000000") == ListingQuery(limit=100, offset=1_000_000)


@pytest.mark.parametrize(
    "raw", [b"limit=0", b"limit=101", b"limit=02", b"limit=2&limit=2", b"offset=-1", b"kind=x",
            b"sort=NEW", b"genre=", b"limit=%EF%BC%92", b"limit= 2"],
)  # fmt: skip
def test_other_queries_are_left_to_the_fastapi_route(raw: bytes) -> None:
    assert plain_query(raw) is None


def _answers(visitor: Visitor) -> list[tuple[int, str, Any]]:
    answers: list[tuple[int, str, Any]] = []
    for query in QUERIES:
        response = visitor.get(f"/api/titles?{query}")
        body = response.json()
        if "error" in body:
            body["error"].pop("request_id", None)
        answers.append((response.status_code, response.headers["content-type"], body))
    return answers


def _without_raw_route(stack: Stack) -> None:
    routes = stack.gateway.router.routes
    routes[:] = [route for route in routes if not isinstance(route, ListingRoute)]


@pytest.mark.usefixtures("titles")
def test_the_raw_route_answers_as_the_fastapi_route(stack: Stack) -> None:
    adult, kid = stack.viewer(), stack.visitor()
    kid.sign_up()
    kid.watch_as(kid.add_profile("Mia", "kids"))
    admin, anonymous = stack.admin(), stack.visitor()
    no_profile = stack.visitor()
    no_profile.sign_up()
    visitors = (adult, kid, admin, anonymous, no_profile)
    assert isinstance(stack.gateway.router.routes[0], ListingRoute)
    raw = [_answers(visitor) for visitor in visitors]
    assert {status for answers in raw for status, _, _ in answers} == {200, 401, 409, 422}

    _without_raw_route(stack)
    assert [_answers(visitor) for visitor in visitors] == raw


def test_the_raw_route_keeps_the_route_label(stack: Stack) -> None:
    stack.viewer().get("/api/titles?limit=1")
    metrics = stack.client.get("/metrics").text
    assert 'route="/api/titles",status="200"' in metrics
    assert "<unmatched>" not in metrics
