"""The first viewer is streamed to while the fill proceeds; a broken upstream leaves no file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.cdn import make_settings
from vodstack.cdn.edge import EdgeApp, create_edge_app
from vodstack.core.metrics import Message
from vodstack.delivery.assets import asset_url_prefix
from vodstack.delivery.tokens import TokenSigner

pytestmark = pytest.mark.anyio

HALF = b"a" * 100_000
SIZE = 2 * len(HALF)


class GatedOrigin:
    """An origin that sends half the object, then waits for the test to release (or break)."""

    def __init__(self, *, fail: bool = False) -> None:
        self.release = asyncio.Event()
        self.requests = 0
        self.fail = fail

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1

        async def body() -> AsyncIterator[bytes]:
            yield HALF
            await self.release.wait()
            if self.fail:
                raise httpx.ReadError("origin went away", request=request)
            yield HALF

        headers = {"content-length": str(SIZE), "last-modified": "Sat, 21 Nov 2026 10:00:00 GMT"}
        return httpx.Response(200, headers=headers, content=body())


class Viewer:
    """Drives the edge app directly and records what it sends, as it sends it."""

    def __init__(self, edge: EdgeApp, token: str) -> None:
        self.edge = edge
        self.token = token
        self.messages: list[Message] = []
        self.first_body = asyncio.Event()

    async def get(self, path: bytes) -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": path.decode(),
            "raw_path": path,
            "query_string": b"t=" + self.token.encode(),
            "headers": [],
        }

        async def receive() -> Message:
            await asyncio.Event().wait()  # the client never hangs up here
            raise AssertionError

        async def send(message: Message) -> None:
            self.messages.append(message)
            if message["type"] == "http.response.body" and message["body"]:
                self.first_body.set()

        await self.edge(scope, receive, send)

    @property
    def body(self) -> bytes:
        return b"".join(m["body"] for m in self.messages if m["type"] == "http.response.body")

    @property
    def complete(self) -> bool:
        last = self.messages[-1]
        return last["type"] == "http.response.body" and not last.get("more_body", False)


async def _edge(tmp_path: Path, origin: GatedOrigin) -> tuple[EdgeApp, str]:
    # The mock answers every request as the origin: no playback to poll revocations from.
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1, revocation_poll_s=0)
    edge = create_edge_app(settings, "edge-eu-1", transport=httpx.MockTransport(origin.handle))
    await edge.startup()
    token = TokenSigner.from_settings(settings).sign(asset_url_prefix("t1", "v1"), "s", 60)
    return edge, token


async def test_viewers_get_bytes_before_the_fill_completes(tmp_path: Path) -> None:
    origin = GatedOrigin()
    edge, token = await _edge(tmp_path, origin)
    try:
        viewers = [Viewer(edge, token) for _ in range(3)]
        tasks = [asyncio.create_task(v.get(b"/v/t1/v1/720p/seg_00000.m4s")) for v in viewers]
        # Everyone has the first half while the origin is still holding back the second.
        await asyncio.wait_for(asyncio.gather(*(v.first_body.wait() for v in viewers)), 5)
        assert not origin.release.is_set()
        assert all(v.messages[0]["status"] == 200 for v in viewers)
        origin.release.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 5)
        assert all(v.body == HALF + HALF and v.complete for v in viewers)
        assert origin.requests == 1
        await edge.settle()
        assert len(edge.cache) == 1
    finally:
        await edge.shutdown()


async def test_an_upstream_that_breaks_off_leaves_nothing_cached(tmp_path: Path) -> None:
    origin = GatedOrigin(fail=True)
    edge, token = await _edge(tmp_path, origin)
    try:
        viewer = Viewer(edge, token)
        task = asyncio.create_task(viewer.get(b"/v/t1/v1/720p/seg_00000.m4s"))
        await asyncio.wait_for(viewer.first_body.wait(), 5)
        origin.release.set()
        await asyncio.wait_for(task, 5)
        await edge.settle()
        # The viewer saw a truncated body (the server drops the connection), never a "200 done".
        assert not viewer.complete
        assert len(edge.cache) == 0
        assert edge.stats.fills["failed"] == 1
        tmp = tmp_path / "edges" / "edge-eu-1" / "tmp"
        assert list(tmp.iterdir()) == []
    finally:
        await edge.shutdown()
