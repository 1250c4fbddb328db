"""The edge's HTTP/1.1 transport to peers and the origin: kept connections, streamed bodies.

A cold miss's time to first byte is the origin's plus the edge's own work, and httpx's default
pool (httpcore) was the largest part of the latter. This transport keeps idle connections in a
stack per upstream, writes the request in one go, parses the answer with `httptools` and hands
the body on as it arrives, so a fill follows the upstream chunk by chunk (the first viewer is
streamed to while the fill proceeds). It plugs in under `httpx.AsyncClient`: `Upstream` and the
tests' in-process transports do not change, and failures surface as the usual httpx errors.

Limits on purpose: plain `http://`, GET only (what fills send), no `Expect`, no upgrades.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httptools
import httpx

from vodstack.clients.connection_pool import ConnectionPool, KeptConnection

# Upstreams (granian, the edge's data plane) close idle connections after a few seconds.
IDLE_LIMIT_S = 4.0
READ_BYTES = 256 * 1024


class _Answer:
    """One response as the parser sees it: headers, then body chunks as they come."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.head_done = False
        self.complete = False
        self.keep_alive = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_done = True

    def on_body(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()

    def feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise httpx.RemoteProtocolError(f"malformed answer from upstream: {exc}") from exc


class _Connection(KeptConnection):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer, IDLE_LIMIT_S)

    async def read_into(self, answer: _Answer, read_s: float | None) -> None:
        """Read once and feed the parser; errors as httpx's, the connection closed on any."""
        try:
            async with asyncio.timeout(read_s):
                data = await self.reader.read(READ_BYTES)
        except TimeoutError as exc:
            self.close()
            raise httpx.ReadTimeout("upstream did not answer in time") from exc
        except OSError as exc:
            self.close()
            raise httpx.ReadError(str(exc)) from exc
        if not data:
            self.close()
            raise httpx.RemoteProtocolError("upstream closed the connection mid-answer")
        answer.feed(data)


class _Body(httpx.AsyncByteStream):
    """The response body as it arrives; the connection goes back to the pool when it is read
    to the end, and is closed if the reader stops early."""

    def __init__(
        self,
        transport: StreamingTransport,
        origin: tuple[str, int],
        connection: _Connection,
        answer: _Answer,
        read_s: float | None,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._connection = connection
        self._answer = answer
        self._read_s = read_s
        self._released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        answer = self._answer
        while True:
            if answer.chunks:
                chunks, answer.chunks = answer.chunks, []
                for chunk in chunks:
                    yield chunk
            if answer.complete:
                break
            await self._connection.read_into(answer, self._read_s)
        self._released = True
        self._transport.release(self._origin, self._connection, answer.keep_alive)

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            self._connection.close()  # mid-body: the stream is out of step, never reused


class StreamingTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 GETs with persistent connections; at most `max_idle` idle ones per upstream."""

    def __init__(self, *, max_idle: int = 32) -> None:
        self._pool = ConnectionPool(_Connection, max_idle=max_idle)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http" or request.method != "GET":
            raise httpx.UnsupportedProtocol("the fill transport sends plain-http GETs only")
        head = _head(request)
        origin = (request.url.host, request.url.port or 80)
        timeout = request.extensions.get("timeout", {})
        connect_s, read_s = timeout.get("connect"), timeout.get("read")
        connection, reused = await self._pool.acquire(origin, connect_s)
        try:
            answer = await self._start(connection, head, read_s)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            if not reused:
                raise
            # Most likely a kept connection the upstream closed just as we sent on it.
            connection, _ = await self._pool.acquire(origin, connect_s, fresh=True)
            answer = await self._start(connection, head, read_s)
        body = _Body(self, origin, connection, answer, read_s)
        status = answer.parser.get_status_code()
        return httpx.Response(status, headers=answer.headers, stream=body, request=request)

    async def _start(self, connection: _Connection, head: bytes, read_s: float | None) -> _Answer:
        """Send the request and read until its headers are in."""
        answer = _Answer()
        try:
            connection.writer.write(head)
            await connection.writer.drain()
            while not answer.head_done:
                await connection.read_into(answer, read_s)
        except OSError as exc:
            connection.close()
            raise httpx.ReadError(str(exc)) from exc
        except BaseException:  # cancelled, or a malformed answer: the stream is out of step
            connection.close()
            raise
        return answer

    def release(self, origin: tuple[str, int], connection: _Connection, keep: bool) -> None:
        self._pool.release(origin, connection, keep)

    def idle_connections(self) -> int:
        return self._pool.idle_connections()

    async def aclose(self) -> None:
        await self._pool.aclose()


def _head(request: httpx.Request) -> bytes:
    lines = [b"GET %s HTTP/1.1" % request.url.raw_path]
    lines += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(lines) + b"\r\n\r\n"
