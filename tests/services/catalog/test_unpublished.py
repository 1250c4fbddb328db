"""A title never published exists only for admins (`unpublished=true`), on every read path;
`failed` flags such a title and never demotes a published one."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.catalog import CreateTitle, publish

ADULT = {"maturity": "adult"}
ADMIN = {"maturity": "adult", "unpublished": "true"}


def _reads(client: TestClient, title_id: int, params: dict[str, str]) -> dict[str, Any]:
    return {
        "listed": [t["id"] for t in client.get("/v1/titles", params=params).json()["items"]],
        "in_genre": [
            t["id"]
            for t in client.get("/v1/titles", params={**params, "genre": "ghost"}).json()["items"]
        ],
        "found": [
            t["id"]
            for t in client.get("/v1/search", params={**params, "q": "phantom"}).json()["items"]
        ],
        "genres": [g["slug"] for g in client.get("/v1/genres", params=params).json()],
        "page": client.get(f"/v1/titles/{title_id}", params=params).status_code,
    }


@pytest.mark.parametrize("state", ["processing", "failed"])
def test_a_title_never_published_is_invisible_to_viewers(
    client: TestClient, create_title: CreateTitle, state: str
) -> None:
    title = create_title(published=False, name="Phantom Reel", genres=["Ghost"])
    if state == "failed":
        flagged = client.put(
            f"/v1/titles/{title['id']}/availability", json={"availability": "failed"}
        )
        assert flagged.json()["availability"] == "failed"
    viewer = _reads(client, title["id"], ADULT)
    assert viewer == {"listed": [], "in_genre": [], "found": [], "genres": [], "page": 404}
    admin = _reads(client, title["id"], ADMIN)
    assert admin == {
        "listed": [title["id"]],
        "in_genre": [title["id"]],
        "found": [title["id"]],
        "genres": ["ghost"],
        "page": 200,
    }
    publish(client, title["id"])
    assert _reads(client, title["id"], ADULT) == admin, "the first publish shows it to viewers"


def test_search_still_fills_its_page_around_hidden_titles(
    client: TestClient, create_title: CreateTitle
) -> None:
    for n in range(3):
        create_title(published=False, name=f"Phantom Draft {n}")
    shown = [create_title(name=f"Phantom Cut {n}")["id"] for n in range(2)]
    found = client.get("/v1/search", params={**ADULT, "q": "phantom", "limit": 2}).json()
    assert sorted(t["id"] for t in found["items"]) == sorted(shown)


def test_failed_never_demotes_a_published_title(
    client: TestClient, create_title: CreateTitle
) -> None:
    title = create_title(name="Phantom Reel")
    response = client.put(f"/v1/titles/{title['id']}/availability", json={"availability": "failed"})
    assert response.json()["availability"] == "available"
    assert response.json()["asset_version"] == "v1"
    assert client.get(f"/v1/titles/{title['id']}", params=ADULT).status_code == 200
