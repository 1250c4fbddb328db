"""An instance killed (kill -9) while it holds a request: a call that may be repeated (a GET, or
a POST with an Idempotency-Key) goes on to another instance; a plain POST is not sent twice.

The dying instance is a real process: it answers its health checks, reads the call, says so on
stdout and never answers; the test kills it with SIGKILL then (the game day's Chaos Monkey)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.clients.servers import Instance, Listed, serving
from tests.support.ports import free_port
from vodstack.clients.keepalive import KeepAliveTransport
from vodstack.clients.resilience.transport import ResilientTransport
from vodstack.config.resilience import (
    BalancerKind,
    BreakerPolicy,
    HedgePolicy,
    ResilienceSettings,
    UpstreamPolicy,
)
from vodstack.core.processes import child_dies_with_us

# Answers every GET (its health checks too); a POST is read, announced ("held") and never
# answered.
HOLDER = r"""
import asyncio, sys

async def serve(reader, writer):
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        if head.startswith(b"GET "):
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()
            continue
        print("held", flush=True)
        await asyncio.Event().wait()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


@contextmanager
def holder() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(port)],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=child_dies_with_us(),
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


async def _call_while_killing(
    client: httpx.AsyncClient, process: subprocess.Popen[str], headers: dict[str, str]
) -> httpx.Response | Exception:
    """Send one POST; once the holder has it, kill -9 the holder; what the call ended with."""
    call = asyncio.create_task(client.post("/v1/sessions", headers=headers))
    assert process.stdout is not None
    held = await asyncio.to_thread(process.stdout.readline)
    assert held.strip() == "held"
    process.kill()
    try:
        return await call
    except httpx.HTTPError as exc:
        return exc


@pytest.mark.parametrize("keyed", [True, False])
def test_a_keyed_call_whose_instance_dies_mid_request_is_answered_by_another(keyed: bool) -> None:
    other = Instance()
    with serving(other) as urls, holder() as (held_url, process):
        policy = UpstreamPolicy(
            balancer=BalancerKind.ROUND_ROBIN,
            breaker=BreakerPolicy(min_calls=10_000),
            hedge=HedgePolicy(enabled=False),
        )
        settings = ResilienceSettings(upstreams={"playback": policy})
        # The holder first: round robin sends the first call to it.
        source = Listed([held_url, *urls])
        transport = ResilientTransport("playback", source, settings, inner=KeepAliveTransport())
        headers = {"Idempotency-Key": "press-1"} if keyed else {}

        async def run() -> httpx.Response | Exception:
            async with httpx.AsyncClient(
                base_url="http://playback", transport=transport, timeout=10.0
            ) as client:
                return await _call_while_killing(client, process, headers)

        outcome = asyncio.run(run())
    if keyed:
        assert isinstance(outcome, httpx.Response) and outcome.status_code == 200, outcome
        assert other.methods == ["POST"] and other.headers[0]["idempotency-key"] == "press-1"
    else:
        assert isinstance(outcome, httpx.HTTPError), "a plain POST may have happened: no retry"
        assert other.methods == [], "never sent twice"


class _Counting(httpx.AsyncBaseTransport):
    """The real keep-alive transport, counting the calls (not health checks) refused per port."""

    def __init__(self) -> None:
        self.inner = KeepAliveTransport()
        self.refused: dict[int, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.inner.handle_async_request(request)
        except httpx.ConnectError:
            if request.url.path != "/healthz":
                port = request.url.port or 80
                self.refused[port] = self.refused.get(port, 0) + 1
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_killed_instance_is_ejected_at_its_first_refused_connection() -> None:
    """After kill -9, one call meets the refused port (and is retried elsewhere); the rest of
    the calls never go there, long before the registry would evict it."""
    others = [Instance(), Instance()]
    with serving(*others) as urls, holder() as (dead_url, process):
        # Round robin: without ejection every third call would meet the dead port.
        policy = UpstreamPolicy(
            balancer=BalancerKind.ROUND_ROBIN,
            breaker=BreakerPolicy(min_calls=10_000),
            hedge=HedgePolicy(enabled=False),
        )
        # A long ejection: the calls below all fall within it however loaded the machine is.
        # Health checks once (at the first call, all healthy), then not again: the test is
        # about what the calls themselves learn.
        settings = ResilienceSettings(
            upstreams={"catalog": policy},
            outliers={"base_s": 600, "max_s": 600},
            health_interval_s=3600,
        )
        counting = _Counting()
        transport = ResilientTransport(
            "catalog", Listed([dead_url, *urls]), settings, inner=counting
        )

        async def run() -> list[int]:
            async with httpx.AsyncClient(
                base_url="http://catalog", transport=transport, timeout=10.0
            ) as client:
                before = [(await client.get("/v1/titles")).status_code for _ in range(6)]
                process.kill()  # kill -9: its port now refuses connections
                await asyncio.to_thread(process.wait, 10)
                after = [(await client.get("/v1/titles")).status_code for _ in range(30)]
                return before + after

        statuses = asyncio.run(run())
    assert statuses == [200] * 36
    dead_port = httpx.URL(dead_url).port or 80
    assert counting.refused.get(dead_port, 0) == 1, counting.refused
