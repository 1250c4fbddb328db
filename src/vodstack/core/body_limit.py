"""A cap on request bodies, enforced before a route reads them.

Without it a service parses whatever arrives: a 10 MB JSON body was read and validated whole
before its 422. This ASGI middleware answers 413 at once when `Content-Length` declares more
than the cap, and stops a body sent without one (chunked) as soon as it runs over, so a route
never holds more than the cap in memory. Routes that stream large bodies on purpose (uploads)
get their own, larger cap by path prefix and keep enforcing their own limits too.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vodstack.core.responses import error_response


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large(cap: int) -> str:
    return f"The request body is larger than this service accepts ({cap} bytes)."


class BodyLimitMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    def cap_for(self, path: str) -> int:
        """The cap of the longest matching prefix, else the service's cap."""
        matches = [prefix for prefix in self.larger if path.startswith(prefix)]
        return self.larger[max(matches, key=len)] if matches else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = self.cap_for(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > cap:
            response = error_response(413, "too_large", _too_large(cap))
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    # HTTPException: FastAPI re-raises it from body parsing (anything else
                    # would become a 400), and the one error mapping answers 413 too_large.
                    raise HTTPException(413, _too_large(cap))
            return message

        await self.app(scope, limited, send)
