"""Immutable files over raw ASGI: precomputed headers, 200/206/304/416, pathsend, one error shape.

A `ServedFile` carries every header of its 200 answer, built once when the file enters an
index, so a cache hit costs one dict lookup and two `send` calls; the kernel copies the bytes
(`http.response.pathsend`, which granian implements) unless the server lacks the extension.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate

from vodstack.cdn.errors import RangeNotSatisfiable
from vodstack.cdn.media_types import cache_control, content_type
from vodstack.cdn.ranges import parse_range
from vodstack.core.errors import VodstackError
from vodstack.core.metrics import Scope, Send

Headers = list[tuple[bytes, bytes]]
CHUNK = 256 * 1024
PATHSEND = "http.response.pathsend"

CORS_HEADERS: Headers = [
    (b"access-control-allow-origin", b"*"),
    (
        b"access-control-expose-headers",
        b"content-length, content-range, accept-ranges, etag, x-cache, x-served-by",
    ),
]
_PREFLIGHT_HEADERS: Headers = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (b"access-control-max-age", b"86400"),
]
_DEFAULT_ALLOWED_HEADERS = b"range, if-none-match, if-range"


@dataclass(frozen=True, slots=True)
class ServedFile:
    """One file as served: where it is, its validators, and its headers ready to send."""

    prefix: bytes  # what a token must grant, e.g. b"/v/t1/v2/"
    path: str
    size: int
    etag: bytes
    base_headers: Headers  # everything but the length
    full_headers: Headers  # base + content-length (the 200 answer)
    not_modified_headers: Headers
    head: bytes  # the 200 answer's status line and headers, serialized (the data plane's hit)


class FileDescriber:
    """Builds `ServedFile`s with this server's cache policy and identity headers."""

    def __init__(self, manifest_ttl_s: int, extra: Iterable[tuple[bytes, bytes]] = ()) -> None:
        self._manifest_ttl_s = manifest_ttl_s
        self._extra = list(extra)

    def describe(self, prefix: bytes, name: str, path: str, size: int, mtime: int) -> ServedFile:
        """`name` is the asset's file name (it picks the type); `path` is where the bytes are."""
        etag = f'"{size:x}-{mtime:x}"'.encode()
        validators: Headers = [
            (b"etag", etag),
            (b"last-modified", formatdate(mtime, usegmt=True).encode()),
            (b"cache-control", cache_control(name, self._manifest_ttl_s).encode()),
        ]
        base = [
            (b"content-type", content_type(name).encode()),
            (b"accept-ranges", b"bytes"),
            *validators,
            *CORS_HEADERS,
            *self._extra,
        ]
        full = [*base, (b"content-length", str(size).encode())]
        return ServedFile(
            prefix=prefix,
            path=path,
            size=size,
            etag=etag,
            base_headers=base,
            full_headers=full,
            not_modified_headers=[*validators, *CORS_HEADERS, *self._extra],
            head=b"HTTP/1.1 200 OK\r\n" + b"".join(b"%s: %s\r\n" % pair for pair in full),
        )


@dataclass(slots=True)
class Conditions:
    """The request headers that change how a file is answered."""

    range: bytes | None = None
    if_none_match: bytes | None = None
    if_range: bytes | None = None
    fill_mode: bytes | None = None


FILL_MODE_HEADER = b"x-vodstack-fill"
PEER_FILL = b"peer"


def read_conditions(scope: Scope) -> Conditions:
    conditions = Conditions()
    for name, value in scope["headers"]:
        if name == b"range":
            conditions.range = value
        elif name == b"if-none-match":
            conditions.if_none_match = value
        elif name == b"if-range":
            conditions.if_range = value
        elif name == FILL_MODE_HEADER:
            conditions.fill_mode = value
    return conditions


def not_modified(served: ServedFile, conditions: Conditions) -> bool:
    tag = conditions.if_none_match
    return tag is not None and (tag.strip() == b"*" or served.etag in tag)


def wanted_range(served: ServedFile, conditions: Conditions) -> tuple[int, int] | None:
    """The single range to answer, or None for the whole body (If-Range respected)."""
    if conditions.range is None:
        return None
    if conditions.if_range is not None and conditions.if_range.strip() != served.etag:
        return None
    return parse_range(conditions.range, served.size)


def range_headers(served: ServedFile, first: int, last: int) -> Headers:
    return [
        *served.base_headers,
        (b"content-range", b"bytes %d-%d/%d" % (first, last, served.size)),
        (b"content-length", str(last - first + 1).encode()),
    ]


async def send_file(
    scope: Scope, send: Send, served: ServedFile, conditions: Conditions | None = None
) -> int:
    """Answer with a file on disk; returns the body bytes sent."""
    if conditions is not None:
        if not_modified(served, conditions):
            await _send_head(send, 304, served.not_modified_headers)
            return 0
        span = wanted_range(served, conditions)
        if span is not None:
            return await _send_span(scope, send, served, span)
    await send({"type": "http.response.start", "status": 200, "headers": served.full_headers})
    if scope["method"] == "HEAD":
        await send({"type": "http.response.body", "body": b""})
        return 0
    if PATHSEND in (scope.get("extensions") or ()):
        await send({"type": PATHSEND, "path": served.path})
    else:
        await _send_slice(send, served.path, 0, served.size)
    return served.size


async def _send_span(scope: Scope, send: Send, served: ServedFile, span: tuple[int, int]) -> int:
    first, last = span
    headers = range_headers(served, first, last)
    await send({"type": "http.response.start", "status": 206, "headers": headers})
    if scope["method"] == "HEAD":
        await send({"type": "http.response.body", "body": b""})
        return 0
    await _send_slice(send, served.path, first, last + 1)
    return last + 1 - first


async def _send_slice(send: Send, path: str, start: int, end: int) -> None:
    # Page-cache reads of a few hundred KB are cheaper inline than a thread hop.
    fd = os.open(path, os.O_RDONLY)
    try:
        position = start
        while position < end:
            chunk = os.pread(fd, min(CHUNK, end - position), position)
            if not chunk:
                raise OSError(f"{path} shrank while being sent")
            position += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": position < end})
        if start == end:
            await send({"type": "http.response.body", "body": b""})
    finally:
        os.close(fd)


async def _send_head(send: Send, status: int, headers: Headers) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def send_preflight(scope: Scope, send: Send) -> None:
    """CORS preflight for the web player (Range makes its segment requests non-simple)."""
    asked = next((v for k, v in scope["headers"] if k == b"access-control-request-headers"), None)
    headers = [
        *_PREFLIGHT_HEADERS,
        (b"access-control-allow-headers", asked or _DEFAULT_ALLOWED_HEADERS),
    ]
    await _send_head(send, 204, headers)


async def send_bytes(send: Send, status: int, body: bytes, media_type: bytes) -> None:
    headers = [
        (b"content-type", media_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *CORS_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, payload: object) -> None:
    await send_bytes(send, status, json.dumps(payload).encode(), b"application/json")


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            return str(value.decode("latin-1")[:64])
    return secrets.token_hex(8)


async def send_error(scope: Scope, send: Send, exc: VodstackError) -> None:
    """The platform's one error shape, from the delivery tier's raw ASGI apps."""
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "request_id": _request_id(scope),
            "details": exc.details,
        }
    }
    encoded = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(encoded)).encode()),
        (b"cache-control", b"no-store"),
        *CORS_HEADERS,
    ]
    if isinstance(exc, RangeNotSatisfiable):
        headers.append((b"content-range", b"bytes */%d" % exc.size))
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    await send(
        {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else encoded}
    )
