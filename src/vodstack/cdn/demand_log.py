"""The edge's request log over HTTP: `GET /demand/log`, what the fill planner learns from.

The planner forecasts per object from what the edges served; reading their access logs from
the data directory tied it to the edges' host. This route sends the same lines (`access.log.1`
then `access.log`, the format in `cdn/access_log.py`) to a caller holding a service token for
the audience `edge` (viewer behaviour is not public), so the planner can run anywhere.

The buffered lines are flushed first, so the answer includes every request served so far. Each
file is read up to the size it had when the answer started (the live one keeps growing) in
chunks off the event loop: a night's log is tens of megabytes and the edge keeps serving.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from vodstack.cdn.access_log import FILE_NAME, AccessLog
from vodstack.cdn.errors import MethodNotAllowed
from vodstack.cdn.file_response import CORS_HEADERS
from vodstack.core.errors import NotFound
from vodstack.core.metrics import Scope, Send
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceTokens

PATH = b"/demand/log"
_CHUNK_BYTES = 256 * 1024


def log_files(directory: Path) -> list[Path]:
    """The edge's access log files, oldest first."""
    found = (directory / f"{FILE_NAME}.1", directory / FILE_NAME)
    return [path for path in found if path.exists()]


async def send_demand_log(
    scope: Scope, send: Send, tokens: ServiceTokens, access_log: AccessLog | None
) -> None:
    if scope["method"] != "GET":
        raise MethodNotAllowed("Use GET for /demand/log.")
    headers = dict(scope.get("headers", ()))
    tokens.verify(headers.get(SERVICE_TOKEN_HEADER.encode(), b"").decode("latin-1") or None)
    if access_log is None:
        raise NotFound("This edge keeps no access log (cdn.access_log is off).", code="no_log")
    access_log.flush()
    files = [(path, path.stat().st_size) for path in log_files(access_log.path.parent)]
    start_headers = [
        (b"content-type", b"text/plain; charset=latin-1"),
        (b"cache-control", b"no-store"),
        *CORS_HEADERS,
    ]
    await send({"type": "http.response.start", "status": 200, "headers": start_headers})
    for path, size in files:
        with path.open("rb") as source:
            left = size
            while left > 0:
                chunk = await asyncio.to_thread(source.read, min(_CHUNK_BYTES, left))
                if not chunk:
                    break
                left -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
