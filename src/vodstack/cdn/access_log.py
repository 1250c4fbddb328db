"""The edge's access log: one line per request in `data_dir/edges/{edge}/access.log`.

    2026-12-06T09:50:01Z GET /v/{title}/{version}/{file} 200 2000000 HIT /v/12/a1/v720p/s_01.m4s

Fields: time (UTC, to the second), method, route template (`/v/{title}/{version}/{file}`,
`/healthz`, `/metrics`, or `-` for a path no route knows), status, body bytes, cache (`HIT`,
`MISS`, or `-` for an answer that never reached the cache: a refused token, a malformed path, a
service route), and the path without its query, so tokens never reach the log.

The edge is a hot path, so a line costs one f-string and a write into the file object's buffer;
the timestamp text is rebuilt once per second, and a task flushes the buffer every
`flush_s` (so `tail -f` follows within a second) and rotates the file to `access.log.1` once it
is past `max_bytes`. The cost is measured in `bench/edge.py` (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import IO

from vodstack.core.metrics import Message, Send
from vodstack.delivery.assets import URL_ROOT, URL_ROUTE

log = logging.getLogger(__name__)

ASSET_ROUTE = URL_ROUTE
FILE_NAME = "access.log"
_BUFFER_BYTES = 64 * 1024
_MAX_PATH_CHARS = 300


class AccessLog:
    """Appends access lines to `path`; `start`/`close` from the server's lifespan."""

    def __init__(self, path: Path, *, max_bytes: int, flush_s: float = 1.0) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self._flush_s = flush_s
        self._file: IO[str] | None = None
        self._second = -1
        self._stamp = ""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._open()
        self._task = asyncio.create_task(self._flusher(), name="access-log")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(
        self, method: str, route: str, status: int, size: int, cache: str, raw_path: bytes
    ) -> None:
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        path = raw_path[:_MAX_PATH_CHARS].decode("latin-1")
        if self._file is not None:
            self._file.write(f"{self._stamp} {method} {route} {status} {size} {cache} {path}\n")

    def flush(self) -> None:
        """Push buffered lines to the file; rotate it once it is past its size limit."""
        if self._file is None:
            return
        self._file.flush()
        if self._file.tell() > self._max_bytes:
            self._file.close()
            self.path.replace(self.path.with_name(FILE_NAME + ".1"))
            self._file = self._open()

    def _open(self) -> IO[str]:
        return self.path.open("a", encoding="latin-1", buffering=_BUFFER_BYTES)

    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(self._flush_s)
            try:
                self.flush()
            except OSError as exc:  # a full disk must not take the edge down with it
                log.warning("access log %s: %s", self.path, exc)


def route_of(raw_path: bytes) -> str:
    """The route template a raw path falls under."""
    if raw_path.startswith(URL_ROOT):
        return ASSET_ROUTE
    if raw_path in (b"/healthz", b"/metrics"):
        return raw_path.decode()
    return "-"


class StatusRecorder:
    """A `send` that remembers the response status on its way through."""

    __slots__ = ("_send", "status")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)
