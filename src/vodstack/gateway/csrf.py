"""Double-submit CSRF protection.

A random `vodstack_csrf` cookie (SameSite=Strict, readable by the page's script) is handed to
every client that lacks one; an unsafe request must echo its value in the `X-CSRF-Token` header
or the `csrf_token` form field. Another site can make a browser send our cookies, but it cannot
read them, so it cannot produce the matching value.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import Request, cookie_parser

from vodstack.core.errors import Forbidden

CSRF_COOKIE = "vodstack_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SCOPE_KEY = "vodstack.csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_MAX_TOKEN_LENGTH = 128

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _cookie_token(scope: Scope) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            token = cookie_parser(value.decode("latin-1")).get(CSRF_COOKIE)
            if token and len(token) <= _MAX_TOKEN_LENGTH:
                return token
    return None


class CsrfCookieMiddleware:
    """Issues the CSRF cookie when missing and exposes the token to templates (pure ASGI)."""

    def __init__(self, app: ASGIApp, *, secure: bool = False) -> None:
        self.app = app
        self._attributes = "; Path=/; SameSite=Strict" + ("; Secure" if secure else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie_token(scope)
        if token is not None:
            scope[SCOPE_KEY] = token
            await self.app(scope, receive, send)
            return
        token = new_token()
        scope[SCOPE_KEY] = token
        cookie = f"{CSRF_COOKIE}={token}{self._attributes}".encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def page_token(request: Request) -> str:
    """The token a rendered form must carry (the cookie's value, possibly just issued)."""
    token = request.scope.get(SCOPE_KEY)
    return token if isinstance(token, str) else ""


async def _submitted_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(_FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def verify_csrf(request: Request) -> None:
    """FastAPI dependency: refuse an unsafe request whose token does not match the cookie."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    submitted = await _submitted_token(request)
    if not expected or not submitted:
        raise Forbidden(
            "This request is missing its CSRF token: send the value of the vodstack_csrf "
            "cookie in the X-CSRF-Token header (or the csrf_token form field). "
            "Reloading the page gives you a fresh one.",
            code="csrf_failed",
        )
    if not hmac.compare_digest(expected.encode(), submitted.encode()):
        raise Forbidden(
            "The CSRF token does not match the vodstack_csrf cookie; reload the page and "
            "try again.",
            code="csrf_failed",
        )
