"""`lean_request` builds the request httpx would build from the same parts."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from vodstack.core.lean_request import Raw, lean_request

URL = httpx.URL("http://127.0.0.1:8002/v1/titles?maturity=adult&limit=20")
CASES: list[tuple[str, Raw, bytes]] = [
    ("GET", [], b""),
    ("get", [(b"X-Request-ID", b"abc"), (b"accept", b"*/*")], b""),
    ("GET", [(b"Host", b"elsewhere:1")], b""),
    ("DELETE", [(b"a", b"1"), (b"a", b"2")], b""),
    ("POST", [], b""),
    ("PUT", [(b"content-type", b"application/json")], b'{"a":1}'),
    ("PATCH", [(b"Content-Length", b"7")], b'{"a":1}'),
    ("POST", [(b"Transfer-Encoding", b"chunked")], b""),
    ("POST", [(b"Transfer-Encoding", b"chunked")], b"data"),
    ("GET", [], b"a body on a GET"),
]


@pytest.mark.parametrize(("method", "headers", "body"), CASES)
def test_the_same_request_as_httpx_builds(method: str, headers: Raw, body: bytes) -> None:
    extensions = {"timeout": {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}}
    lean = lean_request(method, URL, headers, body, extensions)
    usual = httpx.Request(method, URL, headers=headers, content=body, extensions=extensions)
    assert (lean.method, lean.url, lean.headers.raw) == (usual.method, usual.url, usual.headers.raw)
    assert lean.content == usual.content == body
    assert lean.extensions == usual.extensions and lean.extensions is not extensions


def test_the_body_streams_as_httpx_streams_it() -> None:
    lean = lean_request("PUT", URL, [], b"abc")

    async def streamed() -> list[bytes]:
        assert isinstance(lean.stream, httpx.AsyncByteStream)
        return [chunk async for chunk in lean.stream]

    assert asyncio.run(streamed()) == [b"abc"]
    assert asyncio.run(lean.aread()) == b"abc"
