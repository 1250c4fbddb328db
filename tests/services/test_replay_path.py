"""The replay path (core.replay_path) answers a cached read exactly as FastAPI's stack does:
for every cached route of the catalog and accounts, the same status, headers and bytes as the
app's own answer and as a replay through the full stack; refused callers, errors and uncached
routes never meet it; its answers are counted and logged under the same names."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.catalog import publish, title_body
from tests.support.replay import Watched
from tests.support.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings, load_settings
from vodstack.core.access_line import access_log
from vodstack.core.chaos import ChaosMiddleware, RuleFile, rules_path
from vodstack.core.context import current_request_id
from vodstack.core.replay_path import ServiceApp
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER
from vodstack.services.accounts.app import create_app as create_accounts
from vodstack.services.catalog.app import create_app as create_catalog

Shape = tuple[int, list[tuple[str, str]], bytes]


def shape(response: httpx.Response) -> Shape:
    """What a client sees, less the request id (each request gets its own)."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "x-request-id"]
    assert response.headers["x-request-id"]
    return response.status_code, headers, response.content


def three_ways(client: TestClient, watched: Watched, url: str, **kw: Any) -> list[Shape]:
    """The app's own answer (it fills the cache), the replay path's, the full stack's replay."""
    shapes = [shape(client.get(url, **kw)), shape(client.get(url, **kw))]
    with watched.without_replay():
        shapes.append(shape(client.get(url, **kw)))
    return shapes


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_secrets(load_settings(data_dir=tmp_path))


@pytest.fixture
def catalog(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Watched]]:
    app = create_catalog(settings)
    assert isinstance(app, ServiceApp)
    watched = Watched(app, monkeypatch)
    with TestClient(app) as raw:
        client = authorized(raw, settings, "catalog")
        for name in ("First Light", "Second Wind"):
            created = client.post("/v1/titles", json=title_body(name=name, maturity="adult"))
            publish(client, created.json()["id"])
        watched.answered.clear()
        yield client, watched


CATALOG_READS = [
    "/v1/titles?maturity=adult&limit=20",
    "/v1/titles?maturity=adult&sort=title&limit=1&offset=1",
    "/v1/titles/1?maturity=adult",
    "/v1/search?maturity=adult&q=light",
    "/v1/genres?maturity=adult",
]


@pytest.mark.parametrize("url", CATALOG_READS)
def test_each_cached_catalog_read_is_the_same_on_every_path(
    catalog: tuple[TestClient, Watched], url: str
) -> None:
    client, watched = catalog
    app_answer, replayed, stack_replayed = three_ways(client, watched, url)
    assert app_answer[0] == 200
    assert replayed == app_answer
    assert stack_replayed == app_answer
    assert watched.answered == [False, True]  # a miss, then a replay in front of FastAPI


@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        ("/v1/titles/99?maturity=adult", {}, 404),
        ("/v1/titles?maturity=toddler", {}, 422),
        ("/v1/titles?maturity=adult", {SERVICE_TOKEN_HEADER: ""}, 401),
        ("/v1/titles?maturity=adult", {SERVICE_TOKEN_HEADER: "tests.catalog.9.forged"}, 401),
    ],
)
def test_errors_and_refused_callers_never_meet_the_replay_and_keep_their_shape(
    catalog: tuple[TestClient, Watched], url: str, headers: dict[str, str], status: int
) -> None:
    client, watched = catalog
    client.get("/v1/titles?maturity=adult")  # the answer a refused caller must not get
    client.get("/v1/titles?maturity=adult")
    refused = {"auth": None, "headers": headers} if headers else {}
    first, second, through_stack = (client.get(url, **refused) for _ in range(3))
    assert first.status_code == second.status_code == through_stack.status_code == status
    assert first.json()["error"]["code"] == second.json()["error"]["code"]
    assert second.json()["error"]["request_id"] == second.headers["x-request-id"]
    assert watched.answered[-3:] == [False, False, False]


class AccessLines(logging.Handler):
    """Access lines as (message without the time taken, request id while it was logged)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage().rsplit(" ", 1)[0], current_request_id()))


def test_a_replay_is_counted_and_logged_as_the_stack_would(
    catalog: tuple[TestClient, Watched], caplog: pytest.LogCaptureFixture
) -> None:
    client, watched = catalog
    url = "/v1/titles?maturity=adult&limit=5"
    caplog.set_level(logging.INFO, logger=access_log.name)
    access = AccessLines()
    access_log.addHandler(access)
    try:
        three_ways(client, watched, url, headers={"x-request-id": "the-caller-s-id"})
    finally:
        access_log.removeHandler(access)
    assert access.lines == [("GET /v1/titles 200", "the-caller-s-id")] * 3
    metrics = client.get("/metrics").text
    assert 'vodstack_http_requests_total{method="GET",route="/v1/titles",status="200"} 3.0' in (
        metrics
    )
    assert 'vodstack_http_request_duration_seconds_count{method="GET",route="/v1/titles"} 3.0' in (
        metrics
    )


def test_a_write_is_seen_by_the_next_read_on_the_replay_path(
    catalog: tuple[TestClient, Watched],
) -> None:
    client, watched = catalog
    url = "/v1/titles/1?maturity=adult"
    client.get(url)
    assert client.get(url).json()["name"] == "First Light"
    assert client.patch("/v1/titles/1", json={"name": "Last Light"}).status_code == 200
    assert client.get(url).json()["name"] == "Last Light"
    assert watched.answered == [False, True, False, False]  # the PATCH went to the app


def test_accounts_profiles_and_session_check_are_the_same_on_every_path(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_accounts(settings)
    assert isinstance(app, ServiceApp)
    watched = Watched(app, monkeypatch)
    with TestClient(app) as raw:
        client = authorized(raw, settings, "accounts")
        body = {"email": "ana@example.com", "password": "correct horse battery"}
        account = client.post("/v1/accounts", json=body).json()
        token = client.post("/v1/sessions", json=body).json()["session_id"]
        for url in (f"/v1/accounts/{account['id']}/profiles", f"/v1/sessions/{token}"):
            app_answer, replayed, stack_replayed = three_ways(client, watched, url)
            assert app_answer[0] == 200 and replayed == stack_replayed == app_answer
            assert watched.answered[-2:] == [False, True]


def test_chaos_added_by_the_cli_still_meets_every_cached_read(
    settings: Settings, tmp_path: Path
) -> None:
    app = create_catalog(settings)
    rules = rules_path(tmp_path)
    rules.parent.mkdir(parents=True)
    rules.write_text('{"rules": []}')
    checks = iter(range(10**6))  # every request re-reads the rules: a second apart
    file = RuleFile(rules, clock=lambda: float(next(checks)))
    app.add_middleware(ChaosMiddleware, service="catalog", rules=file)
    with TestClient(app) as raw:
        client = authorized(raw, settings, "catalog")
        url = "/v1/titles?maturity=adult"
        assert client.get(url).status_code == client.get(url).status_code == 200  # cached
        rule = {"service": "catalog", "route": "/v1/titles", "fraction": 1, "error_status": 503}
        rules.write_text(json.dumps({"rules": [rule]}))
        os.utime(rules, (time.time() + 5, time.time() + 5))
        failed = client.get(url)
        assert failed.status_code == 503 and failed.json()["error"]["code"] == "chaos"
