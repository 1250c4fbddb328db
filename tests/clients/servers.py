"""Tiny real HTTP instances for the balancing tests: each counts its calls, some are slow or
failing on purpose."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from tests.support.servers import serve_in_thread
from vodstack.core.metrics import Receive, Scope, Send


@dataclass
class Instance:
    """A raw ASGI app answering every path after `delay_s` with `status`, naming itself in an
    `X-Instance` header; its `/healthz` says `healthy` (a process can be up and still fail its
    calls), after `health_delay_s` if that is set (a process slow on its calls only)."""

    delay_s: float = 0.0
    health_delay_s: float | None = None
    status: int = 200
    healthy: bool = True
    calls: int = 0
    headers: list[dict[str, str]] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    url: str = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        status, delay_s = self.status, self.delay_s
        if scope["path"] == "/healthz":
            status = 200 if self.healthy else 503
            delay_s = self.delay_s if self.health_delay_s is None else self.health_delay_s
        else:
            self.calls += 1
            self.methods.append(scope["method"])
            self.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await asyncio.sleep(delay_s)
        body = b'{"ok": true}'
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"x-instance", self.url.encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@dataclass
class Listed:
    """An instance source with a fixed list (the seam a registry client fills in production)."""

    urls: list[str]

    def instances(self, service: str) -> list[str]:
        return self.urls


@contextmanager
def serving(*instances: Instance) -> Iterator[list[str]]:
    with ExitStack() as stack:
        for instance in instances:
            instance.url = stack.enter_context(serve_in_thread(instance))
        yield [instance.url for instance in instances]
