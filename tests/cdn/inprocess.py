"""The origin and edges as in-process ASGI apps wired by a routing transport (no sockets)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from vodstack.cdn.edge import EdgeApp, create_edge_app
from vodstack.cdn.origin import OriginApp, create_origin_app
from vodstack.config import Settings
from vodstack.core.metrics import ASGIApp
from vodstack.delivery.assets import asset_url_prefix
from vodstack.delivery.tokens import TokenSigner
from vodstack.delivery.topology import Topology


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
