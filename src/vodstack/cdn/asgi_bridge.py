"""One HTTP/1.1 request through an ASGI app over an asyncio transport.

The edge's data plane (cdn/data_plane.py) answers plain cache hits itself and hands every
other request here, so misses, ranges, refusals and service routes keep running the edge's
ASGI code unchanged. Covers what that app uses: a request body delivered whole, a response
framed by its Content-Length (or chunked when it has none), `http.response.pathsend` by the
kernel's sendfile, write back-pressure, and disconnect seen by both `receive` and `send`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import unquote

from vodstack.cdn.file_response import PATHSEND, Headers
from vodstack.core.metrics import ASGIApp, Message, Scope

log = logging.getLogger(__name__)

_REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}
_NO_BODY_STATUSES = frozenset({204, 304})


def status_line(status: int) -> bytes:
    return b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))


@dataclass(slots=True)
class Request:
    """One parsed request, body included (the edge's request bodies are small JSON)."""

    method: bytes
    raw_path: bytes
    query: bytes
    headers: Headers
    body: bytes
    http_version: str
    keep_alive: bool


class ClientDisconnected(OSError):
    """The client closed the connection before the answer was sent."""


class AsgiExchange:
    """Runs the app for one request and writes its answer to the transport."""

    def __init__(
        self,
        request: Request,
        transport: asyncio.Transport,
        writable: asyncio.Event,
        lost: asyncio.Event,
    ) -> None:
        self._request = request
        self._transport = transport
        self._writable = writable
        self._lost = lost
        self._body_delivered = False
        self._status = 0
        self._headers: Headers = []
        self._head_sent = False
        self._head_only = request.method == b"HEAD"
        self._chunked = False
        self._close = not request.keep_alive
        self._done = False

    def scope(self) -> Scope:
        request = self._request
        peer = self._transport.get_extra_info("peername")
        local = self._transport.get_extra_info("sockname")
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": request.http_version,
            "method": request.method.decode("latin-1"),
            "scheme": "http",
            "path": unquote(request.raw_path.decode("latin-1")),
            "raw_path": request.raw_path,
            "query_string": request.query,
            "root_path": "",
            "headers": request.headers,
            "client": tuple(peer[:2]) if peer else None,
            "server": tuple(local[:2]) if local else None,
            "extensions": {PATHSEND: {}},
        }

    async def run(self, app: ASGIApp) -> bool:
        """Answer the request; whether the connection may carry another one."""
        try:
            await app(self.scope(), self._receive, self._send)
        except OSError as exc:  # the client left, or a file vanished mid-answer
            log.info("answer to %s aborted: %s", self._request.raw_path[:200], exc)
            return False
        except Exception:
            log.exception("unhandled error answering %s", self._request.raw_path[:200])
            if not self._head_sent:
                self._write_error()
            return False
        if not self._done:
            # The app returned without finishing its answer: nothing sensible can follow.
            if not self._head_sent:
                self._write_error()
            return False
        return not self._close

    async def _receive(self) -> Message:
        if not self._body_delivered:
            self._body_delivered = True
            return {"type": "http.request", "body": self._request.body, "more_body": False}
        await self._lost.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        if self._lost.is_set():
            raise ClientDisconnected("the client closed the connection")
        kind = message["type"]
        if kind == "http.response.start":
            self._status = message["status"]
            self._headers = list(message.get("headers", ()))
        elif kind == "http.response.body":
            await self._send_body(message.get("body", b""), message.get("more_body", False))
        elif kind == PATHSEND:
            await self._send_path(message["path"])

    async def _send_body(self, body: bytes, more: bool) -> None:
        if not self._head_sent:
            self._write_head(None if more else len(body))
        write = self._transport.write
        if body and not self._head_only:
            write(b"%x\r\n%s\r\n" % (len(body), body) if self._chunked else body)
        if not more:
            if self._chunked:
                write(b"0\r\n\r\n")
            self._done = True
        if not self._writable.is_set():
            await self._writable.wait()
            if self._lost.is_set():
                raise ClientDisconnected("the client closed the connection")

    async def _send_path(self, path: str) -> None:
        if not self._head_sent:
            self._write_head(None)
        if not self._head_only:
            # Opened inline: a page-cache open is cheaper than a thread hop (file_response.py).
            with os.fdopen(os.open(path, os.O_RDONLY), "rb") as file:
                try:
                    await asyncio.get_running_loop().sendfile(self._transport, file)
                except RuntimeError as exc:  # the transport closed under the send
                    raise ClientDisconnected(str(exc)) from exc
        self._done = True

    def _write_head(self, length: int | None) -> None:
        """Status and headers; the framing (length or chunked) added when the app gave none."""
        self._head_sent = True
        status, headers = self._status, self._headers
        if status in _NO_BODY_STATUSES or status < 200:
            self._head_only = True
        names = {name.lower() for name, _ in headers}
        if b"content-length" not in names and not self._head_only:
            if length is not None:
                headers.append((b"content-length", b"%d" % length))
            else:
                headers.append((b"transfer-encoding", b"chunked"))
                self._chunked = True
        if any(n.lower() == b"connection" and v.lower() == b"close" for n, v in headers):
            self._close = True
        elif self._close:
            headers.append((b"connection", b"close"))
        lines = b"".join(b"%s: %s\r\n" % (name, value) for name, value in headers)
        self._transport.write(status_line(status) + lines + b"\r\n")

    def _write_error(self) -> None:
        body = json.dumps(
            {"error": {"code": "internal", "message": "The edge failed to answer; retry."}}
        ).encode()
        self._status = 500
        self._headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
        ]
        self._head_only = self._request.method == b"HEAD"
        self._write_head(len(body))
        if not self._head_only:
            self._transport.write(body)
