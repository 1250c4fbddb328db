"""What the origin and the edges answer besides assets: CORS preflight, /healthz, /metrics, and
on edges /holdings (bytes held per title, which content-aware steering reads)."""

from __future__ import annotations

from collections.abc import Callable

from vodstack.cdn.errors import MethodNotAllowed
from vodstack.cdn.file_response import send_bytes, send_json, send_preflight
from vodstack.cdn.stats import CONTENT_TYPE
from vodstack.core.errors import NotFound
from vodstack.core.metrics import Scope, Send

READ_METHODS = frozenset({"GET", "HEAD"})


async def serve_service_route(
    scope: Scope,
    send: Send,
    raw: bytes,
    *,
    health: Callable[[], dict[str, object]],
    metrics: Callable[[], bytes],
    holdings: Callable[[], dict[str, object]] | None = None,
) -> None:
    method = scope["method"]
    if method == "OPTIONS":
        await send_preflight(scope, send)
    elif method not in READ_METHODS:
        raise MethodNotAllowed(f"{method} is not supported here; use GET or HEAD.")
    elif raw == b"/healthz":
        await send_json(send, 200, health())
    elif raw == b"/metrics":
        await send_bytes(send, 200, metrics(), CONTENT_TYPE)
    elif raw == b"/holdings" and holdings is not None:
        await send_json(send, 200, holdings())
    else:
        raise NotFound("Nothing is served here; asset URLs start with /v/.", code="no_route")
