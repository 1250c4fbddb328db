"""Fixtures for the catalog service: the real app on a throw-away SQLite file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings, load_settings
from vodstack.services.catalog.app import create_app

CreateTitle = Callable[..., dict[str, Any]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_secrets(load_settings(data_dir=tmp_path))


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI, settings: Settings) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield authorized(test_client, settings, "catalog")


def title_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Harbor Lights",
        "year": 2011,
        "maturity": "teen",
        "genres": ["Drama"],
        "synopsis": "A lighthouse keeper and her daughter.",
        "cast": ["Ada Mortimer"],
        "duration_s": 60,
    }
    body.update(overrides)
    return body


def publish(client: TestClient, title_id: int, version: str = "v1") -> dict[str, Any]:
    """Make a title available, as the pipeline does after its first publish."""
    body = {"availability": "available", "asset_version": version}
    response = client.put(f"/v1/titles/{title_id}/availability", json=body)
    assert response.status_code == 200, response.text
    published: dict[str, Any] = response.json()
    return published


@pytest.fixture
def create_title(client: TestClient) -> CreateTitle:
    """POST a title (defaults overridable by keyword) and return its JSON; published (visible
    to viewers) unless `published=False`."""

    def create(published: bool = True, **overrides: Any) -> dict[str, Any]:
        response = client.post("/v1/titles", json=title_body(**overrides))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return publish(client, created["id"]) if published else created

    return create
