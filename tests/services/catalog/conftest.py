"""Fixtures for the catalog service: the real app on a throw-away SQLite file, and again on a
PostgreSQL database from the test pool, emptied between tests (every catalog test runs on both
engines)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.catalog import CreateTitle, publish, title_body
from tests.support.postgres import pooled_database
from tests.support.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings, load_settings
from vodstack.services.catalog.app import create_app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    if request.param == "sqlite":
        yield with_secrets(load_settings(data_dir=tmp_path))
        return
    with pooled_database("catalog") as url:
        yield with_secrets(load_settings(data_dir=tmp_path, database_urls={"catalog": url}))


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI, settings: Settings) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield authorized(test_client, settings, "catalog")


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
