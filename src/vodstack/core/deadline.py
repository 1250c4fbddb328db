"""The caller's deadline, carried from service to service so nobody works for an answer that
nobody waits for any more.

A client sends the time it has left (milliseconds, `x-vodstack-deadline-ms`) rather than an
instant: the services' clocks need not agree. A service reads it into a context variable (its
own calls inherit what is left of it) and stops the request's work once it has passed, answering
503 `deadline_exceeded` if nothing was sent yet.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from vodstack.core.metrics import ASGIApp, Message, Receive, Scope, Send
from vodstack.core.responses import error_response

DEADLINE_HEADER = "x-vodstack-deadline-ms"
_HEADER_BYTES = DEADLINE_HEADER.encode()
# A monotonic instant, or None when no caller set one.
deadline_var: ContextVar[float | None] = ContextVar("deadline", default=None)


def remaining_s() -> float | None:
    """Seconds left before the current request's deadline (may be negative), or None."""
    deadline = deadline_var.get()
    return None if deadline is None else deadline - time.monotonic()


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Calls made inside share one budget of `seconds` (or less, if the caller's is sooner)."""
    ours = time.monotonic() + seconds
    current = deadline_var.get()
    token = deadline_var.set(ours if current is None else min(current, ours))
    try:
        yield
    finally:
        deadline_var.reset(token)


def header_value(seconds: float) -> str:
    return str(max(0, int(seconds * 1000)))


def _parse(headers: list[tuple[bytes, bytes]]) -> float | None:
    for key, value in headers:
        if key == _HEADER_BYTES:
            text = value.decode("latin-1")
            return int(text) / 1000 if text.isdigit() else None
    return None


class DeadlineMiddleware:
    """Stops a request's work when the deadline its caller sent has passed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        budget = _parse(scope.get("headers", [])) if scope["type"] == "http" else None
        if budget is None:
            await self.app(scope, receive, send)
            return
        token = deadline_var.set(time.monotonic() + budget)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(budget):
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if started:
                raise
            response = error_response(
                503, "deadline_exceeded", "The caller's deadline passed before the answer."
            )
            await response(scope, receive, send)
        finally:
            deadline_var.reset(token)
