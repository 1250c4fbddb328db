"""The catalog's viewer reads are replayed from memory (core.answer_cache), never stale, never
open to a caller the catalog would refuse, and still counted and tagged like any request."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.catalog import CreateTitle, publish, title_body
from tests.support.service_tokens import authorized
from vodstack.config.settings import Settings
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER
from vodstack.services.catalog.app import create_app

LISTING = "/v1/titles?maturity=adult&limit=20"


def _names(client: TestClient) -> list[str]:
    response = client.get(LISTING)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_a_write_through_another_instance_shows_at_once(
    client: TestClient, create_title: CreateTitle, settings: Settings
) -> None:
    create_title(name="First Light", maturity="adult")
    assert _names(client) == ["First Light"]
    assert _names(client) == ["First Light"]  # now from memory
    # A second catalog process on the same database, as with several instances.
    with TestClient(create_app(settings)) as raw:
        other = authorized(raw, settings, "catalog")
        created = other.post("/v1/titles", json=title_body(name="Second Wind", maturity="adult"))
        publish(other, created.json()["id"])
    assert _names(client) == ["Second Wind", "First Light"]


def test_a_remembered_answer_still_needs_a_service_token(
    client: TestClient, create_title: CreateTitle
) -> None:
    create_title(name="First Light", maturity="adult")
    _names(client)
    _names(client)
    for headers in ({}, {SERVICE_TOKEN_HEADER: "tests.catalog.9999999999.forged"}):
        refused = client.get(LISTING, auth=None, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "service_token_required"


def test_replayed_answers_keep_their_own_request_id_and_are_counted(
    client: TestClient, create_title: CreateTitle
) -> None:
    create_title(name="First Light", maturity="adult")
    first, second = client.get(LISTING), client.get(LISTING)
    assert first.content == second.content
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    metrics = client.get("/metrics").text
    line = 'vodstack_http_requests_total{method="GET",route="/v1/titles",status="200"}'
    assert f"{line} 2.0" in metrics
