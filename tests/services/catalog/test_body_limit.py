"""Request bodies above the service's cap are refused with 413 before they are parsed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.catalog import title_body
from tests.support.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import BodyLimits, load_settings
from vodstack.services.catalog.app import create_app

CAP = 64 * 1024


def _client(tmp_path: Path) -> TestClient:
    limits = BodyLimits(per_service={"catalog": CAP})
    settings = with_secrets(load_settings(data_dir=tmp_path, body_limits=limits))
    return authorized(TestClient(create_app(settings)), settings, "catalog")


def _huge_title() -> bytes:
    return json.dumps(title_body(synopsis="x" * 4000, cast=["y" * 80] * 1000)).encode()


def test_a_declared_oversized_body_is_refused_with_413(tmp_path: Path) -> None:
    body = _huge_title()
    assert len(body) > CAP
    with _client(tmp_path) as client:
        response = client.post(
            "/v1/titles", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        error = response.json()["error"]
        assert error["code"] == "too_large"
        assert f"({CAP} bytes)" in error["message"]
        assert (
            client.get("/v1/titles", params={"maturity": "adult", "unpublished": "true"}).json()[
                "total"
            ]
            == 0
        )


def test_a_streamed_body_is_cut_off_once_it_runs_over(tmp_path: Path) -> None:
    body = _huge_title()

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    with _client(tmp_path) as client:
        response = client.post(
            "/v1/titles", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"


def test_a_body_under_the_cap_is_served(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        assert client.post("/v1/titles", json=title_body()).status_code == 201
