"""AnswerCache in front of a counting app: replays, starts over on a new data version or
past its byte budget, and never keeps an error or a refused caller's request."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from vodstack.core.answer_cache import AnswerCache


class CountingApp:
    """Answers `{path}:{n}` where n counts the calls that reached it; 404 under /missing."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        status = 404 if scope["path"].startswith("/missing") else 200
        body = f"{scope['path']}:{self.calls}".encode()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})


def _get(cache: AnswerCache, path: str, caller: str = "trusted") -> tuple[int, bytes]:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "caller": caller}
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(cache(scope, receive, send))
    return sent[0]["status"], sent[1]["body"]


def _cache(app: CountingApp, version: list[int], max_bytes: int = 1 << 20) -> AnswerCache:
    return AnswerCache(
        app,
        paths=[r"/items/\d+", r"/missing/\d+"],
        version=lambda: version[0],
        admits=lambda scope: scope["caller"] == "trusted",
        max_bytes=max_bytes,
    )


def test_answers_are_replayed_until_the_version_moves() -> None:
    app, version = CountingApp(), [1]
    cache = _cache(app, version)
    assert _get(cache, "/items/1") == (200, b"/items/1:1")
    assert _get(cache, "/items/1") == (200, b"/items/1:1")
    version[0] = 2
    assert _get(cache, "/items/1") == (200, b"/items/1:2")
    assert app.calls == 2


def test_errors_refused_callers_and_other_paths_always_reach_the_app() -> None:
    app, version = CountingApp(), [1]
    cache = _cache(app, version)
    assert _get(cache, "/missing/1") == (404, b"/missing/1:1")
    assert _get(cache, "/missing/1") == (404, b"/missing/1:2")
    _get(cache, "/items/1")
    assert _get(cache, "/items/1", caller="forged") == (200, b"/items/1:4")
    assert _get(cache, "/other") == (200, b"/other:5")


def test_past_its_byte_budget_it_starts_over_and_stays_correct() -> None:
    app, version = CountingApp(), [1]
    cache = _cache(app, version, max_bytes=40)  # room for two answers and their keys
    for n in range(1, 4):
        _get(cache, f"/items/{n}")
    assert _get(cache, "/items/3") == (200, b"/items/3:3")  # kept after the restart
    assert _get(cache, "/items/1") == (200, b"/items/1:4")  # forgotten: asked again
