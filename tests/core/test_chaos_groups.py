"""Experiment groups (FIT/ChAP): a rule naming a group hits only requests carrying that group's
signed mark; forged or expired marks are no group; a service passes the mark on to its calls."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.clock import FakeMonotonic
from vodstack.core.chaos import (
    GROUP_HEADER,
    ChaosMiddleware,
    LatencyRule,
    LatencyRules,
    RuleFile,
    current_group_mark,
    group_mark_var,
    sign_group,
    verified_group,
)
from vodstack.core.http import ServiceClient
from vodstack.core.service_auth import ServiceCredentials

SECRET = b"s" * 32


def test_a_mark_names_its_group_only_when_signed_with_the_secret_and_not_expired() -> None:
    mark = sign_group(SECRET, "experiment", time.time() + 60)
    assert verified_group(SECRET, mark) == "experiment"
    assert verified_group(b"another secret", mark) is None
    _, expires, signature = mark.split(".")
    assert verified_group(SECRET, f"control.{expires}.{signature}") is None
    assert verified_group(SECRET, mark, now=time.time() + 120) is None
    assert verified_group(SECRET, "experiment") is None
    with pytest.raises(ValueError, match="letters and digits"):
        sign_group(SECRET, "a.b", time.time())


class Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def app_with(tmp_path: Path, sleeps: Sleeps, seen: list[str | None]) -> TestClient:
    path = tmp_path / "latency.json"
    rule = LatencyRule(service="catalog", fraction=1.0, error_status=503, group="experiment")
    path.write_text(LatencyRules(rules=[rule]).model_dump_json())
    app = FastAPI()

    @app.get("/v1/titles")
    def titles() -> dict[str, str]:
        seen.append(current_group_mark())
        return {"ok": "titles"}

    rules = RuleFile(path, FakeMonotonic())
    app.add_middleware(ChaosMiddleware, service="catalog", rules=rules, secret=SECRET, sleep=sleeps)
    return TestClient(app)


def test_a_group_rule_hits_the_marked_requests_only(tmp_path: Path) -> None:
    seen: list[str | None] = []
    client = app_with(tmp_path, Sleeps(), seen)
    mark = sign_group(SECRET, "experiment", time.time() + 60)
    assert client.get("/v1/titles").status_code == 200
    assert client.get("/v1/titles", headers={GROUP_HEADER: mark}).status_code == 503
    control = sign_group(SECRET, "control", time.time() + 60)
    assert client.get("/v1/titles", headers={GROUP_HEADER: control}).status_code == 200
    forged = mark[:-4] + "0000"
    assert client.get("/v1/titles", headers={GROUP_HEADER: forged}).status_code == 200
    # The verified mark is the request's (passed on to its calls); a forged one is dropped.
    assert seen == [None, control, None]


@pytest.mark.anyio
async def test_a_services_calls_carry_the_mark_of_the_request_they_serve() -> None:
    received: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        received.append(request.headers.get(GROUP_HEADER))
        return httpx.Response(200, json={})

    class Catalog(ServiceClient):
        service = "catalog"

    client = Catalog(
        "http://catalog.test",
        credentials=ServiceCredentials(SECRET, "gateway"),
        transport=httpx.MockTransport(handler),
    )
    await client.request("GET", "/v1/titles")
    token = group_mark_var.set("experiment.1.abc")
    try:
        await client.request("GET", "/v1/titles")
    finally:
        group_mark_var.reset(token)
    await client.aclose()
    assert received == [None, "experiment.1.abc"]
