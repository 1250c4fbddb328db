"""Objects with no local file (S3) over raw ASGI: the same answers as `file_response`, streamed.

The span a request wants is fetched from the backend alone (a ranged GET on S3), before the
status line goes out, so a backend that is down still gets a clean 503; the body then flows in
chunks, each read in a worker thread (the store's readers block).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import BinaryIO

from vodstack.cdn.file_response import (
    Conditions,
    ServedFile,
    not_modified,
    range_headers,
    wanted_range,
)
from vodstack.core.metrics import Scope, Send
from vodstack.storage import ObjectStoreError

# Bigger than file_response's: each chunk costs a thread hop rather than a pread.
STREAM_CHUNK = 1024 * 1024

SpanOpener = Callable[[int, int], BinaryIO]


class BrokenBody(OSError):
    """The backend failed after the status line went out: the server can only cut the body."""


async def send_stream(
    scope: Scope, send: Send, served: ServedFile, conditions: Conditions, open_span: SpanOpener
) -> int:
    """Answer with the object `open_span(start, end)` reads; returns the body bytes sent."""
    if not_modified(served, conditions):
        await _start(send, 304, served.not_modified_headers)
        await send({"type": "http.response.body", "body": b""})
        return 0
    span = wanted_range(served, conditions)
    first, last = span if span is not None else (0, served.size - 1)
    headers = range_headers(served, first, last) if span is not None else served.full_headers
    status = 200 if span is None else 206
    if scope["method"] == "HEAD":
        await _start(send, status, headers)
        await send({"type": "http.response.body", "body": b""})
        return 0
    reader = await asyncio.to_thread(open_span, first, last + 1)
    try:
        await _start(send, status, headers)
        try:
            await _pump(send, reader, last + 1 - first, served.path)
        except ObjectStoreError as exc:
            raise BrokenBody(f"{served.path}: {exc}") from exc
    finally:
        reader.close()
    return last + 1 - first


async def _pump(send: Send, reader: BinaryIO, length: int, name: str) -> None:
    remaining = length
    while remaining > 0:
        chunk = await asyncio.to_thread(reader.read, min(STREAM_CHUNK, remaining))
        if not chunk:
            raise BrokenBody(f"{name} ended {remaining} bytes early")
        remaining -= len(chunk)
        await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})
    if length == 0:
        await send({"type": "http.response.body", "body": b""})


async def _start(send: Send, status: int, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
