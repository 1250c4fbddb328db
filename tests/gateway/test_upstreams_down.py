"""A dead service is a 503 with a message a person understands, never a 500."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.gateway import PASSWORD, Visitor, make_settings
from vodstack.config.settings import DEFAULT_PORTS
from vodstack.gateway.app import create_app
from vodstack.gateway.sessions import SESSION_COOKIE


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens here once the socket is closed


@pytest.fixture
def lonely(tmp_path: Any) -> Iterator[Visitor]:
    """A gateway whose accounts and catalog services are not running."""
    dead = _closed_port()
    ports = {**DEFAULT_PORTS, "accounts": dead, "catalog": dead}
    settings = make_settings(tmp_path, ports=ports, upstream_timeout_s=2.0)
    with TestClient(create_app(settings)) as client:
        yield Visitor(client)


def test_api_answers_503_json(lonely: Visitor) -> None:
    for method, url, body in (
        ("GET", "/api/plans", None),
        ("POST", "/api/auth/login", {"email": "a@example.com", "password": PASSWORD}),
        ("GET", "/artwork/1.svg", None),
    ):
        response = lonely.request(method, url, json=body)
        assert response.status_code == 503, url
        error = response.json()["error"]
        assert error["code"] == "upstream_unreachable"
        assert "accounts" in error["message"] or "catalog" in error["message"]


def test_a_session_cookie_cannot_be_checked_either(lonely: Visitor) -> None:
    lonely.cookies.set(SESSION_COOKIE, "A" * 43)
    response = lonely.get("/api/titles")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "upstream_unreachable"


def test_pages_answer_a_503_page(lonely: Visitor) -> None:
    lonely.cookies.set(SESSION_COOKIE, "A" * 43)
    page = lonely.get("/")
    assert page.status_code == 503
    assert "text/html" in page.headers["content-type"]
    assert "unreachable" in page.text


def test_the_login_form_shows_the_outage_inline(lonely: Visitor) -> None:
    token = lonely.csrf_token()
    page = lonely.post(
        "/login", data={"email": "a@example.com", "password": PASSWORD, "csrf_token": token}
    )
    assert page.status_code == 503
    assert 'id="form-error"' in page.text
    assert "accounts service is unreachable" in page.text
