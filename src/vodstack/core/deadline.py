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
# When the current request arrived (monotonic), set by `DeadlineMiddleware`: a page's budget
# counts from there, not from when its handler began (the session lookup came first).
arrived_var: ContextVar[float | None] = ContextVar("arrived", default=None)


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


def calls_deadline(arrived: float, budget_s: float, reserve_s: float) -> float:
    """The instant a page's upstream calls must be done by: its budget counted from its
    arrival, less the reserve it needs to render what they answered (or what stands in for
    them). Never before the arrival: a reserve as large as the budget leaves no time to call."""
    return arrived + max(0.0, budget_s - reserve_s)


@contextmanager
def page(budget_s: float, reserve_s: float) -> Iterator[float]:
    """A page answers within `budget_s` of its arrival: the calls made inside share what is left
    of it less `reserve_s` for rendering (or less, if the caller's deadline is sooner). A call
    still waiting at that instant is cancelled and answered by its fallback (the catalog's last
    good rows), so a frozen upstream costs the page its budget, not budget + render time.
    Yields the calls' deadline (monotonic)."""
    arrived = arrived_var.get()
    ours = calls_deadline(time.monotonic() if arrived is None else arrived, budget_s, reserve_s)
    current = deadline_var.get()
    chosen = ours if current is None else min(current, ours)
    token = deadline_var.set(chosen)
    try:
        yield chosen
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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        arrived = arrived_var.set(time.monotonic())
        try:
            await self._within_callers(scope, receive, send)
        finally:
            arrived_var.reset(arrived)

    async def _within_callers(self, scope: Scope, receive: Receive, send: Send) -> None:
        budget = _parse(scope.get("headers", []))
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
