"""Episodes: titles of their own (id, media, availability), kept in step with their series."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.catalog import publish, title_body

ADULT = {"maturity": "adult"}
ADMIN = {"maturity": "adult", "unpublished": "true"}


def _episodes(*slots: tuple[int, int]) -> list[dict[str, Any]]:
    seasons: dict[int, list[dict[str, Any]]] = {}
    for season, number in slots:
        seasons.setdefault(season, []).append({"number": number, "name": f"S{season}E{number}"})
    return [{"number": n, "episodes": eps} for n, eps in seasons.items()]


def _series(client: TestClient, *slots: tuple[int, int]) -> dict[str, Any]:
    body = title_body(name="Tin Harbour", kind="series", seasons=_episodes(*slots))
    response = client.post("/v1/titles", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _ids(series: dict[str, Any]) -> list[int]:
    return [ep["id"] for season in series["seasons"] for ep in season["episodes"]]


def test_every_episode_gets_its_own_title_id(client: TestClient) -> None:
    series = _series(client, (1, 1), (1, 2), (2, 1))

    ids = _ids(series)
    assert len(set(ids)) == 3 and series["id"] not in ids
    episode = client.get(f"/v1/titles/{ids[1]}", params=ADMIN).json()
    assert episode["kind"] == "episode"
    assert episode["name"] == "S1E2"
    assert episode["availability"] == "processing"
    assert episode["episode_of"]["series_id"] == series["id"]
    assert (episode["episode_of"]["season"], episode["episode_of"]["number"]) == (1, 2)
    assert episode["artwork_url"] == series["artwork_url"]


def test_episodes_are_not_listed_or_searched_on_their_own(client: TestClient) -> None:
    series = _series(client, (1, 1), (1, 2))
    for episode_id in _ids(series):
        publish(client, episode_id)

    listed = client.get("/v1/titles", params=ADMIN).json()
    assert [t["id"] for t in listed["items"]] == [series["id"]]
    found = client.get("/v1/search", params={**ADMIN, "q": "S1E"}).json()
    assert found["items"] == []


def test_publishing_an_episode_publishes_its_series(client: TestClient) -> None:
    series = _series(client, (1, 1), (1, 2))
    first, second = _ids(series)

    assert client.get(f"/v1/titles/{series['id']}", params=ADULT).status_code == 404
    publish(client, second)

    shown = client.get(f"/v1/titles/{series['id']}", params=ADULT).json()
    assert shown["availability"] == "available"
    availability = [ep["availability"] for ep in shown["seasons"][0]["episodes"]]
    assert availability == ["processing", "available"]
    assert client.get(f"/v1/titles/{first}", params=ADULT).status_code == 404


def test_next_episode_is_the_next_published_one_across_seasons(client: TestClient) -> None:
    series = _series(client, (1, 1), (1, 2), (2, 1))
    first, _, third = _ids(series)
    for episode_id in (first, third):
        publish(client, episode_id)

    placed = client.get(f"/v1/titles/{first}", params=ADULT).json()["episode_of"]
    assert placed["next_episode_id"] == third  # S1E2 has no media yet
    last = client.get(f"/v1/titles/{third}", params=ADULT).json()["episode_of"]
    assert last["next_episode_id"] is None


def test_rewriting_seasons_keeps_ids_of_episodes_that_stay(client: TestClient) -> None:
    series = _series(client, (1, 1), (1, 2))
    first, second = _ids(series)
    publish(client, first, "v7")
    seasons = [{"number": 1, "episodes": [{"number": 1, "name": "Pilot, recut"}]}]

    updated = client.patch(f"/v1/titles/{series['id']}", json={"seasons": seasons}).json()

    assert _ids(updated) == [first]
    kept = client.get(f"/v1/titles/{first}", params=ADULT).json()
    assert (kept["name"], kept["asset_version"]) == ("Pilot, recut", "v7")
    assert client.get(f"/v1/titles/{second}", params=ADMIN).status_code == 404


def test_deleting_a_series_deletes_its_episodes(client: TestClient) -> None:
    series = _series(client, (1, 1))
    (episode_id,) = _ids(series)

    assert client.delete(f"/v1/titles/{series['id']}").status_code == 204
    assert client.get(f"/v1/titles/{episode_id}", params=ADMIN).status_code == 404


def test_episodes_are_not_created_or_edited_directly(client: TestClient) -> None:
    (episode_id,) = _ids(_series(client, (1, 1)))

    created = client.post("/v1/titles", json=title_body(kind="episode"))
    edited = client.patch(f"/v1/titles/{episode_id}", json={"name": "Other"})

    assert (created.status_code, created.json()["error"]["code"]) == (422, "episode_kind")
    assert (edited.status_code, edited.json()["error"]["code"]) == (422, "episode_kind")
