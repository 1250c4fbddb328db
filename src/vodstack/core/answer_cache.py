"""Answers of hot read routes kept as bytes until the data behind them changes.

A catalog listing is a pure function of its URL and of the catalog's database, and the database
changes a few times a day while viewers read it thousands of times a second. Producing the
answer (routing, query parameters, three SQL statements, the response model, JSON) cost about
twenty times what the server stack costs (bench/services.py); replaying the bytes costs a
dictionary lookup.

Invalidation is explicit, never a TTL: every request first asks `version()`, a number that
changes whenever the data may have changed (for SQLite, `PRAGMA data_version`, which moves on
every commit by any connection of any process, so writes through another instance of the
service count too); a new version drops every entry. Only 200 answers to GET are kept, keyed by
path and query string; anything else (errors, other methods, other paths) goes to the app as
before, so error shapes and validation do not change. A request the app would refuse (no or a
bad service token) is never answered from memory: `admits` is asked first, and on "no" the app
answers as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Version = Callable[[], int | None]  # None: cannot tell now, so do not use the cache
Admits = Callable[[Scope], bool]

# A bound on memory, not a policy: past it the cache starts over (scanners and search queries
# can make every URL new; the hot ones come back at once).
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class CachedReads:
    """What a service lets `AnswerCache` keep: its pure read routes, and its data's version."""

    paths: Sequence[str]
    version: Version


@dataclass(frozen=True)
class _Answer:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any  # the matched route, for the metrics' route label (core.metrics)

    def start(self) -> Message:
        # A fresh message each time: outer middleware appends its own headers (request id).
        return {"type": "http.response.start", "status": 200, "headers": list(self.headers)}


class AnswerCache:
    """ASGI middleware replaying 200 answers of `paths` (regular expressions, full match)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        paths: Sequence[str],
        version: Version,
        admits: Admits,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.app = app
        self._paths = re.compile("|".join(f"(?:{p})" for p in paths))
        self._version = version
        self._admits = admits
        self._max_bytes = max_bytes
        self._bytes = 0
        self._answers: dict[str, _Answer] = {}
        self._seen: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._eligible(scope):
            await self.app(scope, receive, send)
            return
        version = self._version()
        if version is None:
            await self.app(scope, receive, send)
            return
        if version != self._seen:
            self._forget()
            self._seen = version
        key = f"{scope['path']}?{scope['query_string'].decode('latin-1')}"
        answer = self._answers.get(key)
        if answer is not None:
            scope["route"] = answer.route
            await send(answer.start())
            await send({"type": "http.response.body", "body": answer.body})
            return
        await self._fill(scope, receive, send, key, version)

    def _eligible(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and self._paths.fullmatch(scope["path"]) is not None
            and self._admits(scope)
        )

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

        await self.app(scope, receive, keep)
        # `version` was read before the app ran: a write meanwhile makes this entry stale at
        # once, never a stale entry look fresh.
        if start is None or start["status"] != 200 or version != self._seen:
            return
        body = b"".join(chunks)
        if self._bytes + len(key) + len(body) > self._max_bytes:
            self._forget()
        self._bytes += len(key) + len(body)
        self._answers[key] = _Answer(start["headers"], body, scope.get("route"))

    def _forget(self) -> None:
        self._answers.clear()
        self._bytes = 0
