"""Browsing: pages, sorting, the kind and genre filters, and the genre list."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.support.catalog import CreateTitle


def _list(client: TestClient, **params: str | int) -> dict[str, Any]:
    response = client.get("/v1/titles", params={"maturity": "adult", **params})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


@pytest.fixture
def shelf(create_title: CreateTitle) -> list[dict[str, Any]]:
    return [
        create_title(name="Bravo", year=2001, genres=["Sci-Fi"]),
        create_title(name="alpha", year=2015, genres=["Drama", "Sci-Fi"]),
        create_title(name="Charlie", year=1999, genres=["Comedy"], kind="series", seasons=[]),
        create_title(name="Delta", year=2015, genres=["Drama"]),
    ]


def test_sorts(client: TestClient, shelf: list[dict[str, Any]]) -> None:
    def names(sort: str) -> list[str]:
        return [item["name"] for item in _list(client, sort=sort)["items"]]

    assert names("new") == ["Delta", "Charlie", "alpha", "Bravo"]
    assert names("title") == ["alpha", "Bravo", "Charlie", "Delta"]  # case-insensitive
    assert names("year") == ["Delta", "alpha", "Bravo", "Charlie"]  # newest year, then newest
    assert (
        client.get("/v1/titles", params={"maturity": "adult", "sort": "rating"}).status_code == 422
    )


def test_pages_walk_the_whole_list(client: TestClient, shelf: list[dict[str, Any]]) -> None:
    seen = []
    for offset in range(0, 5, 2):
        page = _list(client, sort="title", limit=2, offset=offset)
        assert page["total"] == 4
        assert (page["limit"], page["offset"]) == (2, offset)
        seen += [item["name"] for item in page["items"]]

    assert seen == ["alpha", "Bravo", "Charlie", "Delta"]
    assert _list(client, offset=100)["items"] == []


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": 1000}, {"offset": -1}, {"limit": "ten"}],
)
def test_page_bounds_are_enforced(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/v1/titles", params={"maturity": "adult", **params})

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_limit_edges_are_accepted(client: TestClient, shelf: list[dict[str, Any]]) -> None:
    assert len(_list(client, limit=1)["items"]) == 1
    assert len(_list(client, limit=100)["items"]) == 4


def test_genre_filter_by_slug_or_name(client: TestClient, shelf: list[dict[str, Any]]) -> None:
    by_slug = _list(client, genre="sci-fi", sort="title")
    by_name = _list(client, genre="Sci-Fi", sort="title")

    assert [item["name"] for item in by_slug["items"]] == ["alpha", "Bravo"]
    assert by_name == by_slug
    assert by_slug["total"] == 2
    assert _list(client, genre="western") == {"items": [], "total": 0, "limit": 20, "offset": 0}


def test_kind_filter(client: TestClient, shelf: list[dict[str, Any]]) -> None:
    assert [item["name"] for item in _list(client, kind="series")["items"]] == ["Charlie"]
    assert _list(client, kind="movie")["total"] == 3
    assert _list(client, kind="movie", genre="comedy")["total"] == 0


def test_items_carry_their_genres_in_order(client: TestClient, shelf: list[dict[str, Any]]) -> None:
    items = {item["name"]: item for item in _list(client)["items"]}

    assert items["alpha"]["genres"] == ["Drama", "Sci-Fi"]
    assert items["Charlie"]["genres"] == ["Comedy"]
    assert "cast" not in items["alpha"]  # summaries stay small


def test_genre_list_with_counts(client: TestClient, shelf: list[dict[str, Any]]) -> None:
    genres = client.get("/v1/genres", params={"maturity": "adult"}).json()

    assert genres == [
        {"slug": "comedy", "name": "Comedy", "count": 1},
        {"slug": "drama", "name": "Drama", "count": 2},
        {"slug": "sci-fi", "name": "Sci-Fi", "count": 2},
    ]


def test_genre_disappears_when_its_last_title_goes(
    client: TestClient, shelf: list[dict[str, Any]]
) -> None:
    charlie = next(title for title in shelf if title["name"] == "Charlie")

    client.delete(f"/v1/titles/{charlie['id']}")

    slugs = [g["slug"] for g in client.get("/v1/genres", params={"maturity": "adult"}).json()]
    assert "comedy" not in slugs


def test_listing_uses_a_fixed_number_of_queries(
    app: FastAPI, client: TestClient, create_title: CreateTitle
) -> None:
    for n in range(30):
        create_title(name=f"Title {n}", genres=["Drama", f"Genre {n}"])
    statements: list[str] = []
    event.listen(
        app.state.engine, "before_cursor_execute", lambda *args: statements.append(args[2])
    )

    _list(client, limit=30)

    # count + page + genres of the page, whatever the page size (no query per title).
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3
