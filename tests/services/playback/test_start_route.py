"""The start's own route (services/playback/start_route.py) answers what FastAPI's route answers.

Two playback apps on their own data: one as built (plain starts take `StartRoute`), one with
that route removed (every start through FastAPI). The same requests, valid and not, must get
the same status and body from both (a start's random id, token and expiry aside), and the
plain ones must not have been handed over to FastAPI.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.delivery.assets import asset_key
from vodstack.services.playback import start_route
from vodstack.services.playback.app import create_app
from vodstack.services.playback.edges import FixedEdges
from vodstack.storage import open_object_store

pytestmark = pytest.mark.anyio

VERSION = "v1"
TITLE, PROCESSING = 7, 8
REFUSED = 403  # the account billing refuses
MASTER = (
    "#EXTM3U\n#EXT-X-VERSION:7\n"
    '#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=640x360,CODECS="avc1.64001e"\n'
    "v360p/index.m3u8\n"
)
#: What differs between two equal starts: the session's random id, its token and expiry.
RANDOM = {
    "play_session_id", "token", "token_expires_at", "hls_url", "dash_url", "hls_stream_url",
    "dash_stream_url", "licence_url",
}  # fmt: skip


def _title(title_id: int, availability: str) -> dict[str, Any]:
    version = VERSION if availability == "available" else None
    return {
        "id": title_id, "name": f"Title {title_id}", "kind": "movie", "year": 2020,
        "maturity": "teen", "genres": ["Drama"], "synopsis": "", "duration_s": 600,
        "availability": availability, "artwork_url": f"/api/titles/{title_id}/artwork.svg",
        "cast": [], "seasons": [], "asset_version": version,
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    }  # fmt: skip


def _upstreams() -> dict[str, httpx.MockTransport]:
    no_changes = {"cursor": 1, "ids": [], "complete": True}

    def catalog(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/changes"):
            return httpx.Response(200, json=no_changes)
        title_id = int(request.url.path.rsplit("/", 1)[1])
        if title_id == TITLE:
            return httpx.Response(200, json=_title(TITLE, "available"))
        if title_id == PROCESSING:
            return httpx.Response(200, json=_title(PROCESSING, "processing"))
        error = {"error": {"code": "title_not_found", "message": "No such title."}}
        return httpx.Response(404, json=error)

    def billing(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/changes"):
            return httpx.Response(200, json=no_changes)
        account = int(request.url.path.rsplit("/", 1)[1])
        refused = {"entitled": False, "status": "cancelled", "code": "subscription_cancelled",
                   "message": "The subscription was cancelled."}  # fmt: skip
        body = refused if account == REFUSED else {"entitled": True, "status": None}
        return httpx.Response(200, json={"account_id": account, **body})

    def history(request: httpx.Request) -> httpx.Response:
        error = {"error": {"code": "no_history", "message": "Never played."}}
        return httpx.Response(404, json=error)

    return {
        "catalog": httpx.MockTransport(catalog),
        "billing": httpx.MockTransport(billing),
        "history": httpx.MockTransport(history),
    }


@dataclass
class Side:
    client: httpx.AsyncClient
    token: str
    handed_over: list[bytes]


@asynccontextmanager
async def _side(data_dir: Path, *, fast: bool) -> AsyncIterator[Side]:
    settings = with_secrets(load_settings(data_dir=data_dir))
    open_object_store(settings).put_bytes(asset_key(TITLE, VERSION, "master.m3u8"), MASTER.encode())
    upstreams = _upstreams()
    app = create_app(
        settings,
        edges=FixedEdges(["http://edge:1"]),
        catalog_transport=upstreams["catalog"],
        billing_transport=upstreams["billing"],
        history_transport=upstreams["history"],
    )
    handed_over: list[bytes] = []
    ours = [r for r in app.router.routes if isinstance(r, start_route.StartRoute)]
    assert len(ours) == 1 and app.router.routes[0] is ours[0]
    if fast:
        hand_over = ours[0]._hand_over

        async def counted(scope: Any, receive: Any, send: Any) -> None:
            handed_over.append(scope["path"].encode())
            await hand_over(scope, receive, send)

        ours[0]._hand_over = counted  # type: ignore[method-assign]
    else:
        app.router.routes.remove(ours[0])
    token = ServiceCredentials.from_settings(settings, "gateway").token("playback")
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://playback") as client,
    ):
        yield Side(client, token, handed_over)


@pytest.fixture
async def sides(tmp_path: Path) -> AsyncIterator[tuple[Side, Side]]:
    async with AsyncExitStack() as stack:
        fast = await stack.enter_async_context(_side(tmp_path / "fast", fast=True))
        slow = await stack.enter_async_context(_side(tmp_path / "slow", fast=False))
        yield fast, slow


def _body(**changes: Any) -> dict[str, Any]:
    body = {"account_id": 5, "profile_id": 2, "maturity": "adult", "max_height": 1080,
            "max_streams": 2, "title_id": TITLE}  # fmt: skip
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


Request = Callable[[Side], tuple[dict[str, str], bytes]]


def _json(body: Any, content_type: str = "application/json") -> Request:
    return lambda side: (
        {SERVICE_TOKEN_HEADER: side.token, "content-type": content_type},
        json.dumps(body).encode(),
    )


def _raw(raw: bytes, **headers: str) -> Request:
    return lambda side: ({SERVICE_TOKEN_HEADER: side.token, **headers}, raw)


PLAIN: dict[str, Request] = {
    "valid": _json(_body()),
    "valid with region, login and key": _json(
        _body(account_id=6, region="eu-1", login_ref="a" * 32, idempotency_key="k-1")
    ),
    "numbers as strings": _json(_body(account_id="11", max_height="720")),
    "refused by billing": _json(_body(account_id=REFUSED)),
    "title unknown": _json(_body(title_id=99)),
    "title still processing": _json(_body(title_id=PROCESSING)),
    "no rendition under the plan": _json(_body(account_id=12, max_height=100)),
}
HANDED_OVER: dict[str, Request] = {
    "not JSON": _raw(b'{"account_id": ', **{"content-type": "application/json"}),
    "not UTF-8": _raw(b'{"account_id": "\xff"}', **{"content-type": "application/json"}),
    "empty": _raw(b"", **{"content-type": "application/json"}),
    "an array": _json([_body()]),
    "a field missing": _json(_body(title_id=None)),
    "an account of 0": _json(_body(account_id=0)),
    "a bad maturity": _json(_body(maturity="everyone")),
    "a bad region": _json(_body(region="EU 1")),
    "a bad idempotency key": _json(_body(idempotency_key="with space")),
    "no content type": _raw(json.dumps(_body()).encode()),
    "text content type": _json(_body(), "text/plain"),
    "JSON with a charset": _json(_body(), "application/json; charset=utf-8"),
    "no service token": lambda side: ({"content-type": "application/json"}, b"{}"),
    "a bad service token": lambda side: (
        {SERVICE_TOKEN_HEADER: "x.y.1.z", "content-type": "application/json"},
        json.dumps(_body()).encode(),
    ),
}


async def _ask(side: Side, request: Request) -> httpx.Response:
    headers, content = request(side)
    headers["x-request-id"] = "start-route-test"
    return await side.client.post("/v1/sessions", headers=headers, content=content)


def _comparable(answer: httpx.Response) -> tuple[int, Any, str]:
    body = answer.json()
    if isinstance(body, dict):
        body = {k: ("<random>" if k in RANDOM else v) for k, v in body.items()}
    return answer.status_code, body, answer.headers["content-type"]


async def test_both_paths_answer_every_start_alike(sides: tuple[Side, Side]) -> None:
    fast, slow = sides
    statuses = {}
    for name, request in {**PLAIN, **HANDED_OVER}.items():
        got, expected = await _ask(fast, request), await _ask(slow, request)
        assert _comparable(got) == _comparable(expected), name
        assert got.headers["x-request-id"] == "start-route-test", name
        statuses[name] = got.status_code
    # The answers compared above are the contract's, not two equal surprises.
    assert statuses["valid"] == 201
    assert statuses["refused by billing"] == 403
    assert statuses["title unknown"] == 404
    assert statuses["title still processing"] == statuses["no rendition under the plan"] == 409
    # FastAPI reads any JSON content type; this path only the plain one, handing over the rest.
    assert statuses.pop("JSON with a charset") == 201
    for name in HANDED_OVER.keys() & statuses.keys():
        assert statuses[name] in (400, 401, 422), name


async def test_only_what_fastapi_must_judge_is_handed_over(sides: tuple[Side, Side]) -> None:
    fast, _slow = sides
    for name, request in PLAIN.items():
        await _ask(fast, request)
        assert fast.handed_over == [], name
    for name, request in HANDED_OVER.items():
        await _ask(fast, request)
        assert fast.handed_over == [b"/v1/sessions"], name
        fast.handed_over.clear()


async def test_the_stream_limit_and_a_keyed_repeat_on_the_fast_path(
    sides: tuple[Side, Side],
) -> None:
    fast, slow = sides
    one = _json(_body(account_id=21, max_streams=1))
    keyed = _json(_body(account_id=22, idempotency_key="press-1"))
    for side in (fast, slow):
        assert (await _ask(side, one)).status_code == 201
        first, again = await _ask(side, keyed), await _ask(side, keyed)
        assert first.json()["play_session_id"] == again.json()["play_session_id"]
    full_fast, full_slow = await _ask(fast, one), await _ask(slow, one)
    assert full_fast.status_code == 409
    assert _comparable(full_fast) == _comparable(full_slow)
    assert fast.handed_over == []


async def test_a_body_over_the_cap_is_refused_alike(sides: tuple[Side, Side]) -> None:
    fast, slow = sides
    padding = {"idempotency_key": "k", "pad": "x" * (3 * 1024 * 1024)}
    big = _json(_body(**padding))
    got, expected = await _ask(fast, big), await _ask(slow, big)
    assert got.status_code == expected.status_code == 413
    assert _comparable(got) == _comparable(expected)
