"""Answers of hot read routes kept as bytes until the data behind them changes.

A catalog listing is a pure function of its URL and of the catalog's database, and the database
changes a few times a day while viewers read it thousands of times a second. Producing the
answer (routing, query parameters, three SQL statements, the response model, JSON) cost about
twenty times what the server stack costs (bench/services.py); replaying the bytes costs a
dictionary lookup.

Invalidation is explicit, never a TTL: every request first asks the store for the data's
version, a number that changes whenever the data may have changed, and answers live under a
version (core.answer_store: in process with SQLite's `PRAGMA data_version`, which moves on
every commit by any process; or in Redis, shared by every instance, with a version counter
that writes bump). A write (any other method than GET and HEAD) through this instance tells
the store before its answer goes out. Only 200 answers to GET are kept, keyed by path and
query string; anything else (errors, other methods, other paths) goes to the app as before, so
error shapes and validation do not change. A request the app would refuse (no or a bad service
token) is never answered from the cache: `admits` is asked first, and on "no" the app answers
as before.

Some answers also stop being true with the clock (a session check: sessions end). The route
says when with `good_until`; such an answer is replayed only before then, by the service's own
clock (`CachedReads.clock`), and asked of the app again after.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vodstack.core.answer_store import Answer, AnswerStore, Clock, Version

Admits = Callable[[Scope], bool]
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set in the scope by the replay path (core.replay_path) when it asked the store and did not
# answer: (key, version) to fill, or None when the store could not tell the version.
LOOKED_UP = "vodstack.answer_lookup"
_EXPIRES = "vodstack.answer_expires"
_FILLING = "vodstack.answer_fill"


def good_until(scope: MutableMapping[str, Any], expires: float) -> None:
    """Called by a route: its answer stops being true at `expires` (`CachedReads.clock`)."""
    scope[_EXPIRES] = expires


def filling(scope: MutableMapping[str, Any]) -> bool:
    """Whether this request's answer will be kept under the data's version: then the route must
    answer from the data itself, never from a cache of its own that a version does not track
    (it would be replayed, stale, until the next write)."""
    return _FILLING in scope


@dataclass(frozen=True)
class CachedReads:
    """What a service lets `AnswerCache` keep: its pure read routes, and its data's version
    (None when its database has none: then only a shared store can cache them)."""

    paths: Sequence[str]
    version: Version | None
    clock: Clock = time.time


@dataclass(frozen=True)
class _RouteLabel:
    """Stands for the matched route on a replay (the metrics read its `path`)."""

    path: str


def _start(answer: Answer) -> Message:
    # A fresh message each time: outer middleware appends its own headers (request id).
    return {"type": "http.response.start", "status": 200, "headers": list(answer.headers)}


class AnswerCache:
    """ASGI middleware replaying 200 answers of `paths` (regular expressions, full match)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        paths: Sequence[str],
        store: AnswerStore,
        admits: Admits,
        clock: Clock = time.time,
    ) -> None:
        self.app = app
        self._paths = re.compile("|".join(f"(?:{p})" for p in paths))
        self._store = store
        self._admits = admits
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in _SAFE_METHODS:
            await self._write(scope, receive, send)
            return
        if LOOKED_UP in scope:
            await self._after_lookup(scope, receive, send, scope[LOOKED_UP])
            return
        if not self._eligible(scope):
            await self.app(scope, receive, send)
            return
        key = f"{scope['path']}?{scope['query_string'].decode('latin-1')}"
        found = await self._store.lookup(key)
        if found is None:
            await self.app(scope, receive, send)
            return
        version, answer = found
        if answer is not None and answer.live(self._clock):
            if answer.route is not None:
                scope["route"] = _RouteLabel(answer.route)
            await send(_start(answer))
            await send({"type": "http.response.body", "body": answer.body})
            return
        await self._fill(scope, receive, send, key, version)

    async def _after_lookup(
        self, scope: Scope, receive: Receive, send: Send, looked_up: tuple[str, int] | None
    ) -> None:
        if looked_up is None:
            await self.app(scope, receive, send)
        else:
            await self._fill(scope, receive, send, *looked_up)

    def _eligible(self, scope: Scope) -> bool:
        return (
            scope["method"] == "GET"
            and self._paths.fullmatch(scope["path"]) is not None
            and self._admits(scope)
        )

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        told = False

        async def tell_first(message: Message) -> None:
            nonlocal told
            # Before the answer goes out (the app has committed by then): a writer reading
            # right after its write, through any instance, never meets an older answer.
            if not told and message["type"] == "http.response.start":
                told = True
                await self._store.changed()
            await send(message)

        try:
            await self.app(scope, receive, tell_first)
        finally:
            if not told:  # the app failed before answering; it may have written anyway
                await self._store.changed()

    async def _fill(
        self, scope: Scope, receive: Receive, send: Send, key: str, version: int
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                # Copied before it goes out: outer middleware adds per-request headers to it.
                start = {**message, "headers": list(message.get("headers", []))}
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        scope[_FILLING] = True
        await self.app(scope, receive, keep)
        if start is None or start["status"] != 200:
            return
        route = getattr(scope.get("route"), "path", None)
        answer = Answer(
            start["headers"],
            b"".join(chunks),
            route if isinstance(route, str) else None,
            scope.get(_EXPIRES),
        )
        await self._store.put(version, key, answer)
