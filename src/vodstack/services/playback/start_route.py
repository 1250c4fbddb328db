"""`POST /v1/sessions`, a playback start, answered without FastAPI's request handling.

FastAPI's part of a start (the service-token dependency, the body's parsing and validation,
solving the route's dependencies, running the endpoint) was a fifth to a quarter of the
start's CPU in the running service (py-spy, docs/benchmarks.md "Eighth pass: the playback
start's p99"). `StartRoute`, first in the app's routes, takes a start whose caller's token, content
type and body are all plainly valid and calls the very function the FastAPI route calls
(`PlaybackService.start`, answered by `model_json`). Anything else (no or a bad token, another
content type, a body that does not parse or validate) is handed, with the body it read, to the
FastAPI route, so the 401s and 422s keep their exact shape: this path never writes an error
answer of its own. Errors of the start itself (402/403/409/503 ...) are raised as before and
meet the app's one error mapping (core.app), which wraps every route.

The body is parsed and validated as FastAPI does it for a JSON body (`json.loads`, then the
model in Python mode), so the two paths accept the same bodies and see the same values; the
route sits inside the app's middleware (body cap, deadline, metrics, access line) and keeps
the template `/v1/sessions` for the metrics and the access line.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any, cast

from fastapi import FastAPI
from pydantic import ValidationError
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vodstack.contracts.playback import PlaybackRequest
from vodstack.core.errors import Unauthorized
from vodstack.core.responses import model_json
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceTokens
from vodstack.services.playback.service import PlaybackService

PATH = "/v1/sessions"
_TOKEN = SERVICE_TOKEN_HEADER.lower().encode()
_CONTENT_TYPE = b"content-type"
_JSON = b"application/json"
#: In the scope of a start this route handed over: the router then passes it by.
_HANDED_OVER = "vodstack.start_route.handed_over"


class StartRoute(BaseRoute):
    """A start taken before FastAPI's route (see above); `router` is the app's, which finds
    that route once this one steps aside."""

    path = path_format = PATH

    def __init__(self, router: ASGIApp, tokens: ServiceTokens | None) -> None:
        self._router = router
        self._tokens = tokens

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and get_route_path(scope) == PATH
            and _HANDED_OVER not in scope
        ):
            return Match.FULL, {"route": self}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        read: list[Message] = []
        request = await self._plain_request(scope, receive, read) if self._admitted(scope) else None
        if request is None:
            await self._hand_over(scope, _replaying(read, receive), send)
            return
        service = cast(PlaybackService, scope["app"].state.playback)
        response = model_json(await service.start(request), 201)
        await response(scope, receive, send)

    def _admitted(self, scope: Scope) -> bool:
        """Whether the app's service-token guard lets the caller through (else FastAPI's
        dependency refuses it, in its words)."""
        if self._tokens is None:
            return True
        token = _header(scope, _TOKEN)
        try:
            self._tokens.verify(token.decode("latin-1") if token is not None else None)
        except Unauthorized:
            return False
        return True

    async def _plain_request(
        self, scope: Scope, receive: Receive, read: list[Message]
    ) -> PlaybackRequest | None:
        """The start's body, read whole (each message kept in `read` for a hand-over), if it
        is a JSON object the contract accepts; None: FastAPI must judge it."""
        content_type = _header(scope, _CONTENT_TYPE)
        if content_type is None or content_type.lower() != _JSON:
            return None
        chunks = []
        while True:
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":
                return None  # the client went away: FastAPI's route sees the same
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not body:
            return None
        try:
            value: Any = json.loads(body)
            return PlaybackRequest.model_validate(value) if isinstance(value, dict) else None
        except (ValueError, ValidationError):  # ValueError: not JSON, or not UTF-8
            return None

    async def _hand_over(self, scope: Scope, receive: Receive, send: Send) -> None:
        """To FastAPI's route: routed again, with this route out of the way."""
        scope[_HANDED_OVER] = True
        await self._router(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


def _replaying(read: list[Message], receive: Receive) -> Receive:
    """`receive` that gives back the messages already read first."""
    pending = list(read)

    async def replay() -> MutableMapping[str, Any]:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def install(app: FastAPI, tokens: ServiceTokens | None) -> StartRoute:
    """Put a `StartRoute` first in `app`'s routes, in front of the FastAPI route it hands
    over to (the app's one `POST /v1/sessions`, found by the router as before)."""
    route = StartRoute(app.router, tokens)
    app.router.routes.insert(0, route)
    return route
