"""A lean HTTP/1.1 keep-alive transport for the calls to the services (the gateway's and theirs).

httpx's default pool (httpcore) spends several times more CPU per request once dozens of
requests are in flight, and on the gateway's hot path (`GET /api/titles`) that cost decided the
throughput; a playback start makes three such calls (catalog, billing, history). This
transport keeps idle connections in a stack per origin, writes the request in one go and
parses the answer with `httptools` (the parser uvicorn uses). It plugs in under
`httpx.AsyncClient`, so timeouts and errors surface as the usual httpx exceptions and the typed
clients do not change.

Limits on purpose: plain `http://` only (services talk on the internal network), no
`Expect: 100-continue`, no upgrades, whole bodies in memory (the services answer small JSON).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httptools
import httpx

from vodstack.clients.connection_pool import ConnectionPool, KeptConnection

# uvicorn closes idle keep-alive connections after 5 s; never reuse one that old.
IDLE_LIMIT_S = 4.0
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})
_NO_RESPONSE = "the service closed the connection without answering"


@dataclass
class _Answer:
    """One response as the parser assembles it."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: list[bytes] = field(default_factory=list)
    complete: bool = False
    keep_alive: bool = False
    parser: httptools.HttpResponseParser | None = None

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, chunk: bytes) -> None:
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.complete = True
        if self.parser is not None:
            # Only meaningful now: the parser resets itself once the message is done.
            self.status = self.parser.get_status_code()
            self.keep_alive = self.parser.should_keep_alive()


class _Connection(KeptConnection):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer, IDLE_LIMIT_S)

    async def exchange(self, head: bytes, body: bytes) -> _Answer:
        self.writer.write(head + body if body else head)
        await self.writer.drain()
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        while not answer.complete:
            data = await self.reader.read(65536)
            if not data:
                raise httpx.RemoteProtocolError(_NO_RESPONSE)
            try:
                parser.feed_data(data)
            except httptools.HttpParserError as exc:
                raise httpx.RemoteProtocolError(f"malformed answer from a service: {exc}") from exc
        return answer


def _timeouts(request: httpx.Request) -> tuple[float | None, float | None]:
    timeout = request.extensions.get("timeout", {})
    return timeout.get("connect"), timeout.get("read")


def _head(request: httpx.Request, body: bytes) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    for name, value in request.headers.raw:
        # The body is sent whole, so its length is known even when httpx planned chunks.
        if name.lower() not in _FRAMING:
            lines.append(name + b": " + value)
    if body or request.method in _BODY_METHODS:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n"


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 with persistent connections; at most `max_idle` idle ones kept per origin."""

    def __init__(self, *, max_idle: int = 64) -> None:
        self._pool = ConnectionPool(_Connection, max_idle=max_idle)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol("the keep-alive transport speaks plain http only")
        if request.method == "HEAD":
            # The parser cannot know that a HEAD answer has no body despite its Content-Length.
            raise httpx.UnsupportedProtocol("the keep-alive transport does not send HEAD")
        body = await request.aread()
        head = _head(request, body)
        origin = (request.url.host, request.url.port or 80)
        connect_s, read_s = _timeouts(request)
        connection, reused = await self._pool.acquire(origin, connect_s)
        try:
            answer = await self._exchange(connection, head, body, read_s)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            if not (reused and request.method in _IDEMPOTENT):
                raise
            # Most likely a kept connection the service closed just as we sent on it.
            connection, _ = await self._pool.acquire(origin, connect_s, fresh=True)
            answer = await self._exchange(connection, head, body, read_s)
        self._pool.release(origin, connection, answer.keep_alive)
        return httpx.Response(
            answer.status, headers=answer.headers, content=b"".join(answer.body), request=request
        )

    async def _exchange(
        self, connection: _Connection, head: bytes, body: bytes, read_s: float | None
    ) -> _Answer:
        """One request and its answer; on any failure the connection is closed, never reused."""
        try:
            async with asyncio.timeout(read_s):
                return await connection.exchange(head, body)
        except TimeoutError as exc:
            connection.close()
            raise httpx.ReadTimeout("the service did not answer in time") from exc
        except OSError as exc:
            connection.close()
            raise httpx.ReadError(str(exc)) from exc
        except BaseException:  # cancelled, or a malformed answer: the stream is out of sync
            connection.close()
            raise

    async def aclose(self) -> None:
        await self._pool.aclose()
