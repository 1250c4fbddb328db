"""Creating, reading, changing and deleting titles through the catalog's HTTP API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.catalog import CreateTitle, title_body
from tests.support.service_tokens import authorized
from vodstack.config.settings import Settings
from vodstack.contracts.catalog import Title
from vodstack.services.catalog.app import create_app

ADULT = {"maturity": "adult"}


def _series(**overrides: Any) -> dict[str, Any]:
    seasons = [
        {"number": 2, "episodes": [{"number": 1, "name": "Return", "duration_s": 40}]},
        {
            "number": 1,
            "episodes": [
                {"number": 2, "name": "Second", "duration_s": 41},
                {"number": 1, "name": "Pilot", "synopsis": "It begins.", "duration_s": 42},
            ],
        },
    ]
    return title_body(name="Tin Harbour", kind="series", seasons=seasons, **overrides)


def test_created_title_starts_processing_and_reads_back(
    client: TestClient, create_title: CreateTitle
) -> None:
    created = create_title(
        published=False, genres=["Sci-Fi", "Drama"], cast=["Ada Mortimer", "Rui Campos"]
    )

    assert created["availability"] == "processing"
    assert created["asset_version"] is None
    assert created["artwork_url"] == f"/artwork/{created['id']}/image"
    fetched = client.get(f"/v1/titles/{created['id']}", params={**ADULT, "unpublished": "true"})
    assert fetched.status_code == 200
    assert Title.model_validate(fetched.json()) == Title.model_validate(created)
    assert fetched.json()["genres"] == ["Sci-Fi", "Drama"]
    assert fetched.json()["cast"] == ["Ada Mortimer", "Rui Campos"]


def test_series_keeps_seasons_and_episodes_in_order(client: TestClient) -> None:
    response = client.post("/v1/titles", json=_series())

    assert response.status_code == 201
    seasons = response.json()["seasons"]
    assert [s["number"] for s in seasons] == [1, 2]
    assert [e["name"] for e in seasons[0]["episodes"]] == ["Pilot", "Second"]
    assert seasons[0]["episodes"][0]["synopsis"] == "It begins."
    assert response.json()["kind"] == "series"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (title_body(seasons=[{"number": 1, "episodes": []}]), "movie_with_seasons"),
        (title_body(kind="series", seasons=[{"number": 1}, {"number": 1}]), "duplicate_season"),
        (
            title_body(
                kind="series",
                seasons=[
                    {
                        "number": 1,
                        "episodes": [{"number": 1, "name": "a"}, {"number": 1, "name": "b"}],
                    }
                ],
            ),
            "duplicate_episode",
        ),
        (title_body(genres=["!!!"]), "invalid_genre"),
        (title_body(genres=[]), "invalid"),
        (title_body(name="   "), "invalid"),
        (title_body(year=1200), "invalid"),
        (title_body(maturity="toddler"), "invalid"),
    ],
)
def test_bad_payloads_are_refused_with_a_reason(
    client: TestClient, body: dict[str, Any], code: str
) -> None:
    response = client.post("/v1/titles", json=body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_patch_changes_only_what_was_sent(client: TestClient, create_title: CreateTitle) -> None:
    created = create_title()

    response = client.patch(
        f"/v1/titles/{created['id']}", json={"name": "Harbor Lights Redux", "genres": ["Comedy"]}
    )

    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "Harbor Lights Redux"
    assert updated["genres"] == ["Comedy"]
    assert updated["synopsis"] == created["synopsis"]
    assert updated["year"] == created["year"]
    assert updated["updated_at"] > created["updated_at"]
    assert updated["created_at"] == created["created_at"]


def test_patch_can_reorder_and_reuse_existing_genres(
    client: TestClient, create_title: CreateTitle
) -> None:
    created = create_title(genres=["Drama", "Sci-Fi", "Comedy"])

    response = client.patch(f"/v1/titles/{created['id']}", json={"genres": ["sci-fi", "Drama"]})

    assert response.status_code == 200
    # "sci-fi" is the existing Sci-Fi genre: its first spelling is kept.
    assert response.json()["genres"] == ["Sci-Fi", "Drama"]


def test_turning_a_series_into_a_movie_needs_its_seasons_cleared(client: TestClient) -> None:
    title_id = client.post("/v1/titles", json=_series()).json()["id"]

    refused = client.patch(f"/v1/titles/{title_id}", json={"kind": "movie"})
    accepted = client.patch(f"/v1/titles/{title_id}", json={"kind": "movie", "seasons": []})

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "movie_with_seasons"
    assert accepted.status_code == 200
    assert accepted.json()["kind"] == "movie"
    assert accepted.json()["seasons"] == []


def test_delete_removes_the_title(client: TestClient, create_title: CreateTitle) -> None:
    title_id = create_title()["id"]

    assert client.delete(f"/v1/titles/{title_id}").status_code == 204
    gone = client.get(f"/v1/titles/{title_id}", params=ADULT)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "title_not_found"
    assert client.delete(f"/v1/titles/{title_id}").status_code == 404
    assert client.get("/v1/titles", params=ADULT).json()["total"] == 0


def test_deleted_ids_are_never_reused(client: TestClient, create_title: CreateTitle) -> None:
    first = create_title()["id"]
    client.delete(f"/v1/titles/{first}")

    assert create_title()["id"] > first


def test_availability_is_set_by_the_pipeline(client: TestClient, create_title: CreateTitle) -> None:
    title_id = create_title()["id"]

    response = client.put(
        f"/v1/titles/{title_id}/availability",
        json={"availability": "available", "asset_version": "v3-abc"},
    )

    assert response.status_code == 200
    assert response.json()["availability"] == "available"
    assert response.json()["asset_version"] == "v3-abc"
    listed = client.get("/v1/titles", params=ADULT).json()["items"][0]
    assert listed["availability"] == "available"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/titles/999", None),
        ("PATCH", "/v1/titles/999", {"name": "x"}),
        ("DELETE", "/v1/titles/999", None),
        ("PUT", "/v1/titles/999/availability", {"availability": "available"}),
        ("GET", "/v1/titles/999/artwork.svg", None),
    ],
)
def test_unknown_title_is_404_everywhere(
    client: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = client.request(method, path, params=ADULT, json=body)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "title_not_found"


def test_absurd_ids_are_client_errors(client: TestClient) -> None:
    for title_id in ("0", "-1", "99999999999999999999999", "abc"):
        response = client.get(f"/v1/titles/{title_id}", params=ADULT)
        assert response.status_code in (404, 422), title_id


def test_data_survives_a_restart(
    client: TestClient, settings: Settings, create_title: CreateTitle
) -> None:
    created = create_title(name="Persistent Echo")

    with authorized(TestClient(create_app(settings)), settings, "catalog") as again:
        found = again.get("/v1/search", params={"q": "persis", **ADULT}).json()["items"]
        assert [item["id"] for item in found] == [created["id"]]
