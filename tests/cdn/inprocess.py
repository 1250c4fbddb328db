"""The origin and edges as in-process ASGI apps wired by a routing transport (no sockets); an
edge behind its data plane on a real port (`served`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.cdn import make_settings, write_asset
from tests.support.ports import free_port
from vodstack.cdn.data_plane import DataPlane
from vodstack.cdn.edge import EdgeApp, create_edge_app
from vodstack.cdn.origin import OriginApp, create_origin_app
from vodstack.config import Settings
from vodstack.core.metrics import ASGIApp
from vodstack.delivery.assets import asset_url_prefix
from vodstack.delivery.tokens import TokenSigner
from vodstack.delivery.topology import Topology

PLANE_EDGE = "edge-eu-1"
PLANE_SEG = "720p/seg_00000.m4s"


class Router(httpx.AsyncBaseTransport):
    """Sends each request to the app registered for its host:port; unknown ones are down."""

    def __init__(self) -> None:
        self.apps: dict[str, ASGIApp] = {}

    def add(self, base_url: str, app: ASGIApp) -> None:
        self.apps[httpx.URL(base_url).netloc.decode()] = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.apps.get(request.url.netloc.decode())
        if app is None:
            raise httpx.ConnectError("connection refused", request=request)
        return await httpx.ASGITransport(app=app).handle_async_request(request)


@dataclass
class Stack:
    settings: Settings
    router: Router
    origin: OriginApp
    edges: dict[str, EdgeApp] = field(default_factory=dict)
    client: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.AsyncClient(transport=self.router)

    @property
    def topology(self) -> Topology:
        return Topology.from_settings(self.settings)

    async def start_edge(self, name: str) -> EdgeApp:
        edge = create_edge_app(self.settings, name, transport=self.router)
        await edge.startup()
        self.edges[name] = edge
        self.router.add(self.topology.edge(name).url, edge)
        return edge

    async def stop_edge(self, name: str) -> None:
        edge = self.edges.pop(name)
        self.router.apps.pop(httpx.URL(self.topology.edge(name).url).netloc.decode())
        await edge.shutdown()

    def url(self, name: str, title: str, file: str, *, token: str | None = None) -> str:
        base = self.topology.origin_url if name == "origin" else self.topology.edge(name).url
        if token is None:
            signer = TokenSigner.from_settings(self.settings)
            token = signer.sign(asset_url_prefix(title, "v1"), "test", 600)
        return f"{base}/v/{title}/v1/{file}?t={token}"

    def origin_requests(self) -> int:
        return sum(self.origin.stats.requests.values())


@asynccontextmanager
async def running_stack(settings: Settings, *edges: str) -> AsyncIterator[Stack]:
    router = Router()
    origin = create_origin_app(settings)
    router.add(settings.service_url("origin"), origin)
    stack = Stack(settings, router, origin)
    try:
        for name in edges:
            await stack.start_edge(name)
        yield stack
    finally:
        for name in list(stack.edges):
            await stack.stop_edge(name)
        await stack.client.aclose()


@dataclass
class Plane:
    edge: EdgeApp
    port: int
    prefix: str  # http://127.0.0.1:PORT/v/t1/v1/
    query: str  # t=TOKEN
    files: dict[str, bytes]

    def url(self, name: str) -> str:
        return f"{self.prefix}{name}?{self.query}"


@asynccontextmanager
async def served(tmp_path: Path) -> AsyncIterator[Plane]:
    """An in-process origin and edge, the edge behind its data plane on a real port."""
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    files = write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, PLANE_EDGE) as stack:
        edge = stack.edges[PLANE_EDGE]
        port, stop = free_port(), asyncio.Event()
        task = asyncio.create_task(DataPlane(edge, edge).serve("127.0.0.1", port, stop))
        await listening(port)
        query = stack.url(PLANE_EDGE, "t1", PLANE_SEG).split("?", 1)[1]
        try:
            yield Plane(edge, port, f"http://127.0.0.1:{port}/v/t1/v1/", query, files)
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)


async def listening(port: int) -> None:
    for _ in range(100):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on {port}")
