"""The edge's own HTTP/1.1 server: cache hits answered in the protocol, the rest through ASGI.

Why not granian for hits: its `http.response.pathsend` reads the file into userspace in
128 KB chunks and hands each to a runtime thread (strace under wrk: read + writev per chunk,
tens of thousands of futex calls a second), and every hit pays an ASGI round of Python
awaits. Here a hit is decided synchronously when the request is parsed (`EdgeApp.hit`: index
lookup, token and plan check, revocation, accounting, access log), then answered with one
`write` of the precomputed headers and the kernel's `sendfile` for the body; small objects
come from a bounded in-memory hot set in the same single `write`.

Everything else (misses streamed while filling, ranges, conditional requests, refusals,
`/healthz`, `/metrics`, prefill) runs the edge's ASGI app unchanged through `AsgiExchange`
(cdn/asgi_bridge.py), so both paths answer with the same code. Requests on one connection
are answered in order (pipelining is safe); SIGTERM stops accepting, lets the answers in
progress finish for `DRAIN_S`, then closes what is left (graceful drain).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import httptools

from vodstack.cdn.asgi_bridge import AsgiExchange, Request, status_line
from vodstack.cdn.file_response import Headers, ServedFile
from vodstack.cdn.sendfile_body import Outcome, SendfileBody
from vodstack.core.metrics import ASGIApp

log = logging.getLogger(__name__)

DRAIN_S = 10.0
# Objects up to this size are kept in memory once served (thumbnails, init segments, small
# segments); the set holds at most HOT_BYTES, oldest first out.
HOT_OBJECT_BYTES = 256 * 1024
HOT_BYTES = 64 * 1024**2
# Requests parsed ahead of the one being answered before the connection stops reading.
MAX_PIPELINED = 32
# A keep-alive connection with no request for between one and two of these is closed (players
# ask every few seconds; idle sockets must not pile up).
IDLE_SWEEP_S = 30.0
# Unsent bytes a connection's socket may hold before it stops taking more (TCP_NOTSENT_LOWAT).
# Without it a 2 MB sendfile lands whole in the send queue and, once the client's receive
# window closes, the rest is transmitted from the *client's* ACK processing, in the reader's
# context: on loopback wrk then paid ~1,250 us of CPU per 2 MB hit against ~840 us for nginx's
# and starved (the edge sat 75 % idle). Kept short, the edge sends as the window opens, from its
# own writer callback (docs/benchmarks.md, "Issue 22, third pass").
NOTSENT_LOWAT = 32 * 1024


class HitSource(Protocol):
    """What the data plane asks the edge (EdgeApp implements it)."""

    def hit(
        self, method: bytes, raw_path: bytes, query: bytes, headers: list[tuple[bytes, bytes]]
    ) -> ServedFile | None: ...

    def sending(self, delta: int) -> None: ...


class HotSet:
    """Small cached files by path, kept as their whole keep-alive answer (headers and body in
    one bytes object): one `write` per hit, nothing opened, read or joined.

    Keyed by the cache file's path: an evicted and refilled object gets a new file, so a stale
    entry can only age out, never be served for another object."""

    def __init__(self, capacity: int = HOT_BYTES, largest: int = HOT_OBJECT_BYTES) -> None:
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._capacity = capacity
        self._largest = largest
        self.used = 0

    def get(self, served: ServedFile) -> bytes | None:
        """`served`'s whole answer (ending the headers with the blank line), or None."""
        answer = self._answers.get(served.path)
        if answer is not None or served.size > self._largest:
            return answer
        try:
            body = Path(served.path).read_bytes()
        except OSError:
            return None  # evicted between lookup and open: the ASGI path answers
        if len(body) != served.size:
            return None
        answer = served.head + b"\r\n" + body
        self._answers[served.path] = answer
        self.used += len(answer)
        while self.used > self._capacity:
            _path, old = self._answers.popitem(last=False)
            self.used -= len(old)
        return answer


class Connection(asyncio.Protocol):
    """One client connection: parse, answer hits in place, queue the rest in order."""

    def __init__(self, plane: DataPlane) -> None:
        self._plane = plane
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        # A duplicate descriptor of the connection's socket, for the body's sendfile and its
        # writer callback (asyncio refuses one on the transport's own); closed with it.
        self._sock: socket.socket | None = None
        self._files: SendfileBody | None = None  # set with `_sock`
        self._queue: deque[Request] = deque()
        self._busy = False  # an answer is in progress (a task or a sendfile)
        self._paused = False  # reading paused: too many requests pipelined ahead
        self.active = True  # a request since the last idle sweep
        self._closing = False
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._writable = asyncio.Event()
        self._writable.set()
        self.lost = asyncio.Event()

    # --- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        own = transport.get_extra_info("socket")
        if own is not None:
            self._sock = socket.socket(own.family, own.type, fileno=os.dup(own.fileno()))
            if own.family in (socket.AF_INET, socket.AF_INET6):
                self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT, NOTSENT_LOWAT)
            self._files = SendfileBody(self._sock, self._body_sent)
        self._plane.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._files is not None and self._files.pending:
            self._files.cancel()
            self._plane.edge.sending(-1)
        if self._sock is not None:
            self._sock.close()  # the transport's own closes next: the peer then sees the end
            self._sock = None
        self._plane.forget(self)
        self.lost.set()
        self._writable.set()  # wake a writer waiting on the drain: it will see `lost`

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400, b"Upgrades are not served here.")
        except httptools.HttpParserError:
            self._refuse(400, b"Malformed HTTP/1.1 request.")

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # --- httptools callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", [], []
        self.active = True

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser = self._parser
        path, _, query = self._url.partition(b"?")
        method, keep_alive = parser.get_method(), parser.should_keep_alive()
        # The common case, an idle connection asking for a cached object: answered here, with
        # no request object and no queue.
        idle = not self._queue and not self._busy
        if idle and self._answer_hit(method, path, query, self._headers, keep_alive):
            if self._closing and not self._busy:
                self.close()
            return
        self._queue.append(
            Request(
                method=method,
                raw_path=path,
                query=query,
                headers=self._headers,
                body=b"".join(self._body),
                http_version=parser.get_http_version(),
                keep_alive=keep_alive,
            )
        )
        if len(self._queue) > MAX_PIPELINED and self._transport is not None:
            self._transport.pause_reading()
            self._paused = True
        self._answer_queued()

    # --- answering ------------------------------------------------------------------------

    def _answer_queued(self) -> None:
        """Answer queued requests in order until one needs to wait (a task takes over)."""
        while self._queue and not self._busy and not self.lost.is_set():
            request = self._queue.popleft()
            if self._paused and self._transport is not None:
                self._paused = False
                self._transport.resume_reading()
            answered = self._answer_hit(
                request.method, request.raw_path, request.query, request.headers, request.keep_alive
            )
            if not answered:
                self._start(self._exchange(request))
        if not self._queue and not self._busy and self._closing and self._transport:
            self._transport.close()

    def _answer_hit(
        self, method: bytes, path: bytes, query: bytes, headers: Headers, keep_alive: bool
    ) -> bool:
        """Answer a plain cache hit now; False if the ASGI app must answer instead."""
        plane = self._plane
        served = plane.edge.hit(method, path, query, headers)
        if served is None:
            return False
        transport = self._transport
        assert transport is not None
        if keep_alive:
            if method == b"GET" and served.size:
                answer = plane.hot.get(served)
                if answer is not None:
                    transport.write(answer)
                    return True
            head = served.head + b"\r\n"
        else:
            head = served.head + b"connection: close\r\n\r\n"
            self._closing = True
        if method == b"HEAD" or served.size == 0:
            transport.write(head)
            return True
        # The headers by the transport (sent at once when its buffer is empty). Holding them
        # back for the body (MSG_MORE, nginx's tcp_nopush) was measured: 5-9 % more CPU per
        # 2 MB hit here, throughput within the noise, so they go alone.
        transport.write(head)
        files = self._files
        if files is None or transport.get_write_buffer_size():
            self._start(self._sendfile(served))  # the body must follow the buffered headers
            return True
        outcome = files.send(served.path, served.size)
        if outcome is Outcome.PENDING:
            self._busy = True
            plane.edge.sending(1)
        elif outcome is Outcome.FAILED:
            self.close()  # the headers are out: dropped rather than answered twice
        return True

    def _body_sent(self, ok: bool) -> None:
        """A body that went out from the loop's writer callback is done (or broke off)."""
        self._plane.edge.sending(-1)
        self._busy = False
        if not ok:
            self.close()
            return
        self._answer_queued()

    def _start(self, answer: Awaitable[None]) -> None:
        self._busy = True
        task = asyncio.ensure_future(answer)
        self._plane.tasks.add(task)
        task.add_done_callback(self._answered)

    def _answered(self, task: asyncio.Future[None]) -> None:
        self._plane.tasks.discard(task)
        self._busy = False
        if not task.cancelled() and task.exception() is not None:
            log.error("answer failed", exc_info=task.exception())
            self.close()
            return
        self._answer_queued()

    async def _sendfile(self, served: ServedFile) -> None:
        """The body after headers left in the transport's buffer (rare: a slow reader)."""
        transport = self._transport
        assert transport is not None
        self._plane.edge.sending(1)
        try:
            # Opened inline: a page-cache open is cheaper than a thread hop (file_response.py).
            with os.fdopen(os.open(served.path, os.O_RDONLY), "rb") as file:
                loop = asyncio.get_running_loop()
                await loop.sendfile(transport, file, 0, served.size)
        except (OSError, RuntimeError) as exc:
            # The client went away, or the file was evicted under us: the head is out, so the
            # connection is dropped rather than answered twice.
            log.info("hit aborted mid-body: %s (%s)", served.path, exc)
            self.close()
        finally:
            self._plane.edge.sending(-1)

    async def _exchange(self, request: Request) -> None:
        assert self._transport is not None
        exchange = AsgiExchange(request, self._transport, self._writable, self.lost)
        keep = await exchange.run(self._plane.app)
        if not keep:
            self._closing = True

    def _refuse(self, status: int, message: bytes) -> None:
        if self._transport is None:
            return
        self._transport.write(
            status_line(status)
            + b"content-type: text/plain\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
            % (len(message), message)
        )
        self._transport.close()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def idle(self) -> bool:
        return not self._busy and not self._queue

    def drain(self) -> None:
        """Close now if idle; otherwise after the answer in progress."""
        self._closing = True
        if not self._busy and not self._queue:
            self.close()


class DataPlane:
    """The listening socket and its connections, for one edge app."""

    def __init__(self, app: ASGIApp, edge: HitSource, idle_sweep_s: float = IDLE_SWEEP_S) -> None:
        self.app = app
        self._idle_sweep_s = idle_sweep_s
        self.edge = edge
        self.hot = HotSet()
        self.connections: set[Connection] = set()
        self.tasks: set[asyncio.Future[None]] = set()
        self._none_open = asyncio.Event()

    async def _sweep_idle(self) -> None:
        """Close connections that asked nothing since the last sweep (no clock on the hit
        path: a request only sets a flag)."""
        while True:
            await asyncio.sleep(self._idle_sweep_s)
            for connection in list(self.connections):
                if not connection.active and connection.idle():
                    connection.close()
                connection.active = False

    def forget(self, connection: Connection) -> None:
        self.connections.discard(connection)
        if not self.connections:
            self._none_open.set()

    async def serve(self, host: str, port: int, stop: asyncio.Event) -> None:
        """Accept until `stop` is set, then drain (answers in progress get `DRAIN_S`)."""
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: Connection(self), host, port, backlog=2048, reuse_address=True
        )
        sweeper = asyncio.create_task(self._sweep_idle())
        try:
            await stop.wait()
        finally:
            sweeper.cancel()
            server.close()
            for connection in list(self.connections):
                connection.drain()
            if self.connections:
                self._none_open.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._none_open.wait(), DRAIN_S)
            for connection in list(self.connections):
                connection.close()
            for task in list(self.tasks):
                task.cancel()
            await server.wait_closed()


async def serve_edge(
    app: ASGIApp,
    edge: HitSource,
    startup: Callable[[], Awaitable[None]],
    shutdown: Callable[[], Awaitable[None]],
    host: str,
    port: int,
) -> None:
    """Run the edge on the data plane until SIGTERM/SIGINT: startup, serve, drain, shutdown."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await startup()
    try:
        await DataPlane(app, edge).serve(host, port, stop)
    finally:
        await shutdown()
