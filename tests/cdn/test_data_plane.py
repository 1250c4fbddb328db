"""The edge's own data plane over real TCP: hits answered in the protocol, the rest via ASGI."""

from __future__ import annotations

import asyncio
import os
import re
import socket
from pathlib import Path

import httpx
import pytest

from tests.cdn.inprocess import listening, running_stack, served
from tests.support.cdn import make_settings, sha256, write_asset
from tests.support.ports import free_port
from vodstack.cdn.data_plane import DataPlane
from vodstack.delivery.assets import asset_key_prefix

pytestmark = pytest.mark.anyio

EDGE = "edge-eu-1"
SEG = "720p/seg_00000.m4s"
POSTER = "poster.jpg"  # small: answered from the hot set


async def test_a_hit_is_answered_by_the_data_plane_with_the_asgi_headers(tmp_path: Path) -> None:
    async with served(tmp_path) as plane, httpx.AsyncClient() as client:
        edge, files = plane.edge, plane.files
        miss = await client.get(plane.url(SEG))
        await edge.settle()
        hits_before = edge.stats.hits
        hit = await client.get(plane.url(SEG))
        head = await client.head(plane.url(SEG))
        small = [await client.get(plane.url(POSTER))]
        await edge.settle()  # the fill commits after the first answer
        small += [await client.get(plane.url(POSTER)) for _ in range(2)]
    assert (miss.status_code, hit.status_code, head.status_code) == (200, 200, 200)
    assert (miss.headers["x-cache"], hit.headers["x-cache"]) == ("MISS", "HIT")
    assert sha256(hit.content) == sha256(miss.content) == sha256(files[SEG])
    for name in ("content-type", "content-length", "etag", "cache-control", "last-modified"):
        assert hit.headers[name] == miss.headers[name] == head.headers[name]
    assert head.content == b""
    assert [r.content for r in small] == [files[POSTER]] * 3
    assert edge.stats.hits == hits_before + 1 + 1 + 2  # the first poster request was a miss
    assert edge.stats.served_bytes["cache"] >= len(files[SEG]) + 2 * len(files[POSTER])


async def test_refusals_ranges_and_service_routes_go_through_the_asgi_app(tmp_path: Path) -> None:
    async with served(tmp_path) as plane, httpx.AsyncClient() as client:
        edge, files, prefix = plane.edge, plane.files, plane.prefix
        await client.get(plane.url(SEG))
        await edge.settle()
        flipped = "A" if plane.query[-5] != "A" else "B"  # inside the MAC
        forged = await client.get(f"{prefix}{SEG}?{plane.query[:-5]}{flipped}{plane.query[-4:]}")
        missing = await client.get(f"{prefix}{SEG}")
        ranged = await client.get(plane.url(SEG), headers={"range": "bytes=10-19"})
        etag = ranged.headers["etag"]
        unchanged = await client.get(plane.url(SEG), headers={"if-none-match": etag})
        health = await client.get(f"http://127.0.0.1:{plane.port}/healthz")
        unknown = await client.get(plane.url("nope/seg_00000.m4s"))
    assert forged.status_code == missing.status_code == 403
    assert forged.json()["error"]["code"].startswith("token_")
    assert (ranged.status_code, ranged.content) == (206, files[SEG][10:20])
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert health.json()["service"] == EDGE
    assert unknown.status_code == 404
    assert edge.stats.denied  # refusals are counted by the ASGI path, as before


async def test_pipelined_requests_are_answered_in_order(tmp_path: Path) -> None:
    async with served(tmp_path) as plane:
        files, path, token = plane.files, f"/v/t1/v1/{POSTER}", plane.query
        async with httpx.AsyncClient() as client:  # make the poster a hit
            await client.get(plane.url(POSTER))
        await plane.edge.settle()
        reader, writer = await asyncio.open_connection("127.0.0.1", plane.port)
        requests = [
            f"GET {path}?{token} HTTP/1.1\r\nhost: x\r\n\r\n",  # hit
            f"GET {path} HTTP/1.1\r\nhost: x\r\n\r\n",  # 403 via ASGI
            f"HEAD {path}?{token} HTTP/1.1\r\nhost: x\r\n\r\n",  # hit, no body
            f"GET {path}?{token} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        ]
        writer.write("".join(requests).encode())
        answer = await asyncio.wait_for(reader.read(), 10)  # until the server closes
        writer.close()
    # Bodies are random bytes: taken out first, so a status line cannot hide in one.
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer.replace(files[POSTER], b""))
    assert statuses == [b"200", b"403", b"200", b"200"]
    assert answer.count(files[POSTER]) == 2
    assert answer.endswith(files[POSTER])


async def test_stopping_closes_idle_connections_and_returns(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, EDGE) as stack:
        edge = stack.edges[EDGE]
        port, stop = free_port(), asyncio.Event()
        task = asyncio.create_task(DataPlane(edge, edge).serve("127.0.0.1", port, stop))
        await listening(port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        stop.set()
        await asyncio.wait_for(task, 5)
        rest = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    assert b"status" in rest  # the answer in progress was finished, then the socket closed


async def test_a_malformed_request_gets_400_and_the_connection_closes(tmp_path: Path) -> None:
    async with served(tmp_path) as plane:
        reader, writer = await asyncio.open_connection("127.0.0.1", plane.port)
        writer.write(b"GARBAGE \x00\x01 nonsense\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Malformed" in answer


async def test_an_idle_keep_alive_connection_is_closed_by_the_sweep(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    async with running_stack(settings, EDGE) as stack:
        edge = stack.edges[EDGE]
        port, stop = free_port(), asyncio.Event()
        plane = DataPlane(edge, edge, idle_sweep_s=0.05)
        task = asyncio.create_task(plane.serve("127.0.0.1", port, stop))
        await listening(port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 10)  # until the sweep closes it
        writer.close()
        stop.set()
        await asyncio.wait_for(task, 5)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert not plane.connections


async def test_a_body_the_socket_cannot_take_at_once_finishes_then_the_next_answer(
    tmp_path: Path,
) -> None:
    """A slow reader: the hit's body continues from the loop's writer callback, whole and in
    order before the pipelined answer behind it, and the edge's in-flight count comes back."""
    big = os.urandom(6 * 1024 * 1024)
    async with served(tmp_path) as plane:
        (tmp_path / "objects" / asset_key_prefix("t1", "v1") / "big.m4s").write_bytes(big)
        async with httpx.AsyncClient() as client:  # the miss fills it: the next one is a hit
            assert (await client.get(plane.url("big.m4s"))).content == big
        await plane.edge.settle()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: small window
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", plane.port))
        reader, writer = await asyncio.open_connection(sock=sock)
        path, token = "/v/t1/v1/", plane.query
        writer.write(
            f"GET {path}big.m4s?{token} HTTP/1.1\r\nhost: x\r\n\r\n"
            f"GET {path}{POSTER}?{token} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".encode()
        )
        await asyncio.sleep(0.3)  # the server meets a full socket and waits for it
        hits = plane.edge.stats.hits
        answer = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        in_flight = plane.edge.stats.in_flight
    first, rest = answer.split(b"\r\n\r\n", 1)
    assert first.startswith(b"HTTP/1.1 200 ") and b"x-cache: HIT" in first
    assert rest[: len(big)] == big
    second, poster = rest[len(big) :].split(b"\r\n\r\n", 1)
    assert second.startswith(b"HTTP/1.1 200 ") and poster == plane.files[POSTER]
    assert hits == plane.edge.stats.hits  # the poster waited for the big body
    assert in_flight == 0


async def test_a_hit_body_waits_in_the_edge_for_a_client_that_does_not_read(
    tmp_path: Path,
) -> None:
    """The edge hands the kernel a hit's body as the client takes it (TCP_NOTSENT_LOWAT), not
    whole: so the hit stays in flight, the load steering sees, until the client has read it."""
    body = os.urandom(2 * 1024 * 1024)
    async with served(tmp_path) as plane:
        (tmp_path / "objects" / asset_key_prefix("t1", "v1") / "seg.m4s").write_bytes(body)
        async with httpx.AsyncClient() as client:
            for _ in range(2):  # the miss fills it, the first hit grows the socket's buffers
                assert (await client.get(plane.url("seg.m4s"))).content == body
                await plane.edge.settle()
        reader, writer = await asyncio.open_connection("127.0.0.1", plane.port)
        writer.write(
            f"GET /v/t1/v1/seg.m4s?{plane.query} HTTP/1.1\r\nhost: x\r\n"
            "connection: close\r\n\r\n".encode()
        )
        await asyncio.sleep(0.3)
        waiting = plane.edge.stats.in_flight
        answer = await asyncio.wait_for(reader.read(), 30)
        writer.close()
        done = plane.edge.stats.in_flight
    assert answer.split(b"\r\n\r\n", 1)[1] == body
    assert (waiting, done) == (1, 0)
