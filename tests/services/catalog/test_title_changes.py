"""The titles' change feed: every committed write of a title is listed once after the cursor
a reader holds; nothing else is."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.catalog import CreateTitle


def _changes(client: TestClient, after: int, **params: int) -> dict[str, object]:
    response = client.get("/v1/titles/changes", params={"after": after, **params})
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def _cursor(client: TestClient) -> int:
    cursor = 0
    while True:  # to the end of the feed, whatever earlier tests left in it
        answer = _changes(client, cursor)
        if answer["cursor"] == cursor:
            return cursor
        cursor = int(str(answer["cursor"]))


def test_every_write_of_a_title_is_in_the_feed(
    client: TestClient, create_title: CreateTitle
) -> None:
    first = create_title()["id"]
    second = create_title(published=False)["id"]
    start = _cursor(client)
    assert _changes(client, start) == {"cursor": start, "ids": [], "complete": True}

    change = {"availability": "available", "asset_version": "v2"}
    assert client.put(f"/v1/titles/{second}/availability", json=change).status_code == 200
    assert client.patch(f"/v1/titles/{first}", json={"name": "Renamed"}).status_code == 200
    after = _changes(client, start)
    assert after["ids"] == sorted([first, second]) and after["complete"] is True
    cursor = int(str(after["cursor"]))
    assert cursor > start

    assert client.delete(f"/v1/titles/{first}").status_code in (200, 204)
    assert _changes(client, cursor)["ids"] == [first]
    # Reads change nothing.
    client.get(f"/v1/titles/{second}", params={"maturity": "adult"})
    assert _changes(client, _cursor(client))["ids"] == []


def test_a_long_gap_or_an_unknown_cursor_says_start_over(
    client: TestClient, create_title: CreateTitle
) -> None:
    start = _cursor(client)
    for _ in range(3):
        create_title()  # published: one change each
    gap = _changes(client, start, limit=1)
    assert gap["complete"] is False and gap["ids"] == []
    assert gap["cursor"] == _cursor(client)
    ahead = _changes(client, _cursor(client) + 1000)
    assert ahead == {"cursor": _cursor(client), "ids": [], "complete": False}


def test_the_feed_is_for_services_only(client: TestClient) -> None:
    refused = client.get("/v1/titles/changes", auth=None)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "service_token_required"
