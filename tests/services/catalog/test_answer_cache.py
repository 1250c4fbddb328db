"""The catalog's viewer reads are replayed from memory (core.answer_cache), never stale, never
open to a caller the catalog would refuse, and still counted and tagged like any request."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.catalog import CreateTitle, publish, title_body
from tests.support.redis_server import REDIS_URL, private_redis, redis_prefix
from tests.support.service_tokens import authorized
from vodstack.config.settings import RedisSettings, Settings
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


def _redis_settings(settings: Settings, url: str, prefix: str = "vodstack") -> Settings:
    return settings.model_copy(update={"redis": RedisSettings(url=url, prefix=prefix, retry_s=0)})


@pytest.mark.redis
def test_with_redis_instances_share_answers_and_a_write_through_one_shows_in_the_other(
    settings: Settings,
) -> None:
    with redis_prefix() as prefix:
        shared = _redis_settings(settings, REDIS_URL, prefix)
        with TestClient(create_app(shared)) as a, TestClient(create_app(shared)) as b:
            one, two = authorized(a, shared, "catalog"), authorized(b, shared, "catalog")
            created = one.post("/v1/titles", json=title_body(name="First Light", maturity="adult"))
            publish(one, created.json()["id"])
            assert _names(one) == _names(two) == ["First Light"]
            created = two.post("/v1/titles", json=title_body(name="Second Wind", maturity="adult"))
            publish(two, created.json()["id"])
            assert _names(one) == ["Second Wind", "First Light"]
            assert "vodstack_redis_fallbacks_total{" not in one.get("/metrics").text


def test_with_its_redis_killed_the_catalog_answers_from_its_database_and_counts_it(
    settings: Settings, tmp_path: Path
) -> None:
    with private_redis(tmp_path / "redis") as server:
        shared = _redis_settings(settings, server.url)
        with TestClient(create_app(shared)) as raw:
            client = authorized(raw, shared, "catalog")
            created = client.post(
                "/v1/titles", json=title_body(name="First Light", maturity="adult")
            )
            publish(client, created.json()["id"])
            assert _names(client) == _names(client) == ["First Light"]
            server.stop()
            assert _names(client) == ["First Light"]
            created = client.post(
                "/v1/titles", json=title_body(name="Second Wind", maturity="adult")
            )
            assert created.status_code == 201
            publish(client, created.json()["id"])
            assert _names(client) == ["Second Wind", "First Light"]
            metrics = client.get("/metrics").text
    line = 'vodstack_redis_fallbacks_total{operation="lookup",store="answers"}'
    assert line in metrics
    assert 'vodstack_redis_fallbacks_total{operation="changed",store="answers"}' in metrics
