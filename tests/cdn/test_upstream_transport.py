"""The fill transport against a real HTTP server (an edge's data plane): streamed bodies,
kept connections, early closes, errors as httpx's."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.cdn.inprocess import served
from tests.support.cdn import sha256
from tests.support.ports import free_port
from vodstack.cdn.upstream_transport import StreamingTransport

pytestmark = pytest.mark.anyio

SEG = "720p/seg_00000.m4s"


async def test_bodies_stream_and_connections_are_kept(tmp_path: Path) -> None:
    async with served(tmp_path) as plane:
        transport = StreamingTransport()
        async with httpx.AsyncClient(transport=transport) as client:
            async with client.stream("GET", plane.url(SEG)) as miss:
                chunks = [chunk async for chunk in miss.aiter_raw()]
            await plane.edge.settle()
            hit = await client.get(plane.url(SEG))
            refused = await client.get(f"{plane.prefix}{SEG}")
            unknown = await client.get(plane.url("nope/x.m4s"))
            connections = transport.idle_connections()
    assert miss.status_code == 200 and miss.headers["x-cache"] == "MISS"
    assert sha256(b"".join(chunks)) == sha256(plane.files[SEG]) == sha256(hit.content)
    assert hit.headers["x-cache"] == "HIT"
    assert (refused.status_code, unknown.status_code) == (403, 404)
    assert refused.json()["error"]["code"] == "token_missing"
    assert connections == 1  # four requests, one kept connection


async def test_a_body_left_early_closes_its_connection_and_the_next_request_works(
    tmp_path: Path,
) -> None:
    async with served(tmp_path) as plane:
        async with httpx.AsyncClient() as warm:
            await warm.get(plane.url(SEG))
        await plane.edge.settle()
        async with httpx.AsyncClient(transport=StreamingTransport()) as client:
            async with client.stream("GET", plane.url(SEG)) as response:
                first = await response.aiter_raw().__anext__()
            again = await client.get(plane.url(SEG))
    assert first and len(first) < len(plane.files[SEG]) + 1
    assert again.status_code == 200 and again.content == plane.files[SEG]


async def test_nothing_listening_is_a_connect_error() -> None:
    async with httpx.AsyncClient(transport=StreamingTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{free_port()}/v/t/v/x")


async def test_a_silent_upstream_is_a_read_timeout() -> None:
    done = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        await done.wait()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient(transport=StreamingTransport()) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"http://127.0.0.1:{port}/x", timeout=0.2)
        done.set()
        await asyncio.sleep(0.1)  # the handler closes its side; ours closed on the timeout
