"""`/healthz` and `/metrics` for the control plane's own processes (DNS, fill planner).

They serve no HTTP API, but the supervisor judges every process by its `/healthz` answers, and
Prometheus scrapes `/metrics`; a few lines of ASGI cover both without a framework.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import uvicorn

from vodstack.core.metrics import ASGIApp, Receive, Scope, Send


def health_app(
    service: str,
    figures: Callable[[], dict[str, object]],
    metrics: Callable[[], str],
    documents: Mapping[str, Callable[[], object]] | None = None,
) -> ASGIApp:
    """`documents` maps more GET paths to JSON answers (the planner's `/plan`)."""
    extra = dict(documents or {})

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        status, kind = 200, b"application/json"
        if scope["path"] == "/healthz":
            body = json.dumps({"status": "ok", "service": service, **figures()})
        elif scope["path"] == "/metrics":
            kind, body = b"text/plain; version=0.0.4", metrics()
        elif scope["path"] in extra:
            body = json.dumps(extra[scope["path"]]())
        else:
            status, body = 404, json.dumps({"detail": f"The {service} process serves /healthz."})
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]}
        )
        await send({"type": "http.response.body", "body": body.encode()})

    return app


async def serve_health(app: ASGIApp, host: str, port: int) -> None:
    """Serve until SIGTERM/SIGINT (uvicorn's handlers), like every other vodstack process."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False,
                            lifespan="off")  # fmt: skip
    await uvicorn.Server(config).serve()
