"""The catalog service under test: a title body with defaults, publishing as the pipeline does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

CreateTitle = Callable[..., dict[str, Any]]


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
