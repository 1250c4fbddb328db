"""A title above the viewer's maturity level does not exist for them, on every read path."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.catalog import CreateTitle


@pytest.fixture
def ladder(create_title: CreateTitle) -> dict[str, int]:
    """One title per level, all sharing a genre and a searchable word."""
    return {
        level: create_title(
            name=f"Moonlit {level.title()} Tale",
            maturity=level,
            genres=["Mystery", f"Only {level}"],
        )["id"]
        for level in ("kids", "teen", "adult")
    }


VISIBLE = {
    "kids": {"kids"},
    "teen": {"kids", "teen"},
    "adult": {"kids", "teen", "adult"},
}


@pytest.mark.parametrize("viewer", ["kids", "teen", "adult"])
def test_listing_shows_only_allowed_levels(
    client: TestClient, ladder: dict[str, int], viewer: str
) -> None:
    page = client.get("/v1/titles", params={"maturity": viewer}).json()

    assert {item["maturity"] for item in page["items"]} == VISIBLE[viewer]
    assert page["total"] == len(VISIBLE[viewer])
    in_genre = client.get("/v1/titles", params={"maturity": viewer, "genre": "mystery"}).json()
    assert in_genre["total"] == len(VISIBLE[viewer])


@pytest.mark.parametrize("viewer", ["kids", "teen", "adult"])
def test_fetch_is_404_above_the_level(
    client: TestClient, ladder: dict[str, int], viewer: str
) -> None:
    for level, title_id in ladder.items():
        response = client.get(f"/v1/titles/{title_id}", params={"maturity": viewer})
        expected = 200 if level in VISIBLE[viewer] else 404
        assert response.status_code == expected, (viewer, level)


@pytest.mark.parametrize("viewer", ["kids", "teen", "adult"])
def test_search_shows_only_allowed_levels(
    client: TestClient, ladder: dict[str, int], viewer: str
) -> None:
    found = client.get("/v1/search", params={"q": "moonlit", "maturity": viewer}).json()

    assert {item["maturity"] for item in found["items"]} == VISIBLE[viewer]


@pytest.mark.parametrize("viewer", ["kids", "teen", "adult"])
def test_genre_counts_only_count_allowed_levels(
    client: TestClient, ladder: dict[str, int], viewer: str
) -> None:
    genres = {
        g["slug"]: g["count"] for g in client.get("/v1/genres", params={"maturity": viewer}).json()
    }

    assert genres["mystery"] == len(VISIBLE[viewer])
    # A genre with no visible title is not offered at all.
    assert {slug for slug in genres if slug.startswith("only-")} == {
        f"only-{level}" for level in VISIBLE[viewer]
    }


def test_lowering_a_titles_level_follows_everywhere(
    client: TestClient, create_title: CreateTitle
) -> None:
    title_id = create_title(name="Granite Orchard", maturity="adult")["id"]
    kids = {"maturity": "kids"}
    assert client.get("/v1/search", params={"q": "granite", **kids}).json()["items"] == []

    client.patch(f"/v1/titles/{title_id}", json={"maturity": "kids"})

    assert client.get(f"/v1/titles/{title_id}", params=kids).status_code == 200
    found = client.get("/v1/search", params={"q": "granite", **kids}).json()["items"]
    assert [item["id"] for item in found] == [title_id]


def test_maturity_is_required_on_reads(client: TestClient) -> None:
    for path in ("/v1/titles", "/v1/titles/1", "/v1/search", "/v1/genres"):
        response = client.get(path)
        assert response.status_code == 422, path
        assert response.json()["error"]["details"][0]["field"] == "maturity"
