"""Every internal service refuses callers without a valid service token (401, clear message).

Probes and scrapers keep /healthz and /metrics; everything else needs a token minted for that
service, unexpired, signed with the platform's key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.pipeline.service.upload_support import accept_anything
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings, load_settings
from vodstack.core.service_auth import (
    SERVICE_TOKEN_HEADER,
    ServiceCredentials,
    derive_service_key,
)
from vodstack.pipeline.service.app import create_app as create_pipeline_app
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.playback.app import create_app as create_playback_app
from vodstack.services.playback.edges import FixedEdges

# One harmless read per service: (service, factory, path).
SERVICES: dict[str, tuple[Callable[[Settings], FastAPI], str]] = {
    "accounts": (create_accounts_app, "/v1/plans"),
    "catalog": (create_catalog_app, "/v1/genres?maturity=adult"),
    "playback": (
        lambda s: create_playback_app(s, edges=FixedEdges(["http://edge"])),
        "/v1/accounts/1/streams",
    ),
    "pipeline": (
        lambda s: create_pipeline_app(s, workers=False, check=accept_anything),
        "/v1/jobs",
    ),
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_secrets(load_settings(data_dir=tmp_path))


@pytest.fixture(params=sorted(SERVICES))
def service(request: pytest.FixtureRequest, settings: Settings) -> Iterator[tuple[str, TestClient]]:
    name: str = request.param
    factory, _ = SERVICES[name]
    with TestClient(factory(settings)) as client:
        yield name, client


def _get(client: TestClient, name: str, token: str | None) -> tuple[int, str]:
    headers = {SERVICE_TOKEN_HEADER: token} if token is not None else {}
    response = client.get(SERVICES[name][1], headers=headers)
    body = response.json()
    message = body["error"]["message"] if response.status_code >= 400 else ""
    return response.status_code, message


def test_a_raw_call_is_refused_with_a_clear_message(service: tuple[str, TestClient]) -> None:
    name, client = service
    status, message = _get(client, name, None)
    assert status == 401
    assert f"The {name} service is internal" in message
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_a_valid_token_is_accepted(service: tuple[str, TestClient], settings: Settings) -> None:
    name, client = service
    token = ServiceCredentials.from_settings(settings, "gateway").token(name)
    assert _get(client, name, token) == (200, "")


def test_a_token_for_another_service_is_refused(
    service: tuple[str, TestClient], settings: Settings
) -> None:
    name, client = service
    other = "catalog" if name != "catalog" else "accounts"
    token = ServiceCredentials.from_settings(settings, "gateway").token(other)
    status, message = _get(client, name, token)
    assert status == 401
    assert f"for the {other} service, not this one" in message


def test_expired_forged_and_malformed_tokens_are_refused(
    service: tuple[str, TestClient], settings: Settings
) -> None:
    name, client = service
    key = derive_service_key(settings.secret())
    expired = ServiceCredentials(key, "gateway", clock=lambda: 1_000_000.0).token(name)
    forged = ServiceCredentials(b"k" * 32, "gateway").token(name)
    future = ServiceCredentials(key, "gateway").token(name, ttl_s=3600)
    assert _get(client, name, expired) == (401, "The service token has expired.")
    assert "signature is wrong" in _get(client, name, forged)[1]
    assert "too far ahead" in _get(client, name, future)[1]
    assert _get(client, name, "garbage")[1] == "The service token is malformed."


def test_the_admin_route_refuses_to_make_admins_without_a_token(settings: Settings) -> None:
    with TestClient(create_accounts_app(settings)) as accounts:
        body = {"email": "mallory@example.com", "password": "long enough pass", "role": "admin"}
        refused = accounts.post("/v1/admin/accounts", json=body)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "service_token_required"
