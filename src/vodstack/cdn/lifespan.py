"""The ASGI lifespan protocol for the raw apps: run startup and shutdown hooks, report failures."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from vodstack.core.metrics import Receive, Send

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]


async def serve_lifespan(receive: Receive, send: Send, startup: Hook, shutdown: Hook) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await startup()
            except Exception as exc:
                log.exception("startup failed")
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
