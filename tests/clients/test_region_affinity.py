"""Region affinity: a caller placed in a region calls the instances of its region, found with
their regions in the registry; it spreads over the rest when none of them is healthy or they
are busy, and a caller placed nowhere spreads over all."""

from __future__ import annotations

import asyncio

import httpx

from tests.clients.servers import Instance, serving
from tests.support.waiting import eventually
from vodstack.clients.keepalive import KeepAliveTransport
from vodstack.clients.resilience.transport import ResilientTransport
from vodstack.config.resilience import ResilienceSettings, UpstreamPolicy
from vodstack.discovery import Instance as Registered
from vodstack.discovery import MemoryRegistry, RegistryClient

AFFINE = UpstreamPolicy(region_affinity=True)


def registry_of(urls: list[str], regions: list[str]) -> RegistryClient:
    registry = MemoryRegistry(lease_s=60.0)
    for n, (url, region) in enumerate(zip(urls, regions, strict=True), start=1):
        registry.register(Registered("catalog", f"catalog-{n}", url, region))
    return RegistryClient(registry, lambda _: "http://unused", refresh_s=60.0)


def client(
    source: RegistryClient, region: str | None, policy: UpstreamPolicy | None = None
) -> httpx.AsyncClient:
    settings = ResilienceSettings(upstreams={"catalog": policy or AFFINE}, health_interval_s=0.05)
    transport = ResilientTransport(
        "catalog", source, settings, inner=KeepAliveTransport(), region=region
    )
    return httpx.AsyncClient(base_url="http://catalog", transport=transport, timeout=10.0)


async def drive(http: httpx.AsyncClient, calls: int, concurrency: int = 1) -> list[int]:
    queue = iter(range(calls))
    statuses: list[int] = []

    async def worker() -> None:
        for _ in queue:
            statuses.append((await http.get("/v1/titles")).status_code)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


def test_a_caller_calls_its_own_region_while_it_can() -> None:
    eu1, eu2, us = Instance(), Instance(), Instance()
    with serving(eu1, eu2, us) as urls:
        source = registry_of(urls, ["eu", "eu", "us"])

        async def scenario() -> list[int]:
            async with client(source, "eu") as http:
                return await drive(http, 60)

        assert asyncio.run(scenario()) == [200] * 60
    assert us.calls == 0
    assert eu1.calls > 0 and eu2.calls > 0  # balanced within the region


def test_with_its_region_unhealthy_a_caller_goes_to_another() -> None:
    eu, us1, us2 = Instance(), Instance(), Instance()
    with serving(eu, us1, us2) as urls:
        source = registry_of(urls, ["eu", "us", "us"])

        async def scenario() -> None:
            async with client(source, "eu") as http:
                assert await drive(http, 5) == [200] * 5  # at home
                assert us1.calls + us2.calls == 0
                eu.healthy = False  # its /healthz fails from now on

                async def abroad() -> bool:
                    before = eu.calls
                    assert await drive(http, 10) == [200] * 10
                    return eu.calls == before

                deadline = asyncio.get_running_loop().time() + 30
                while not await abroad():
                    assert asyncio.get_running_loop().time() < deadline, "never left eu"
                    await asyncio.sleep(0.05)

        asyncio.run(scenario())
    assert us1.calls + us2.calls >= 10


def test_a_busy_region_spills_over_and_a_caller_placed_nowhere_spreads() -> None:
    slow_eu, us = Instance(delay_s=0.05), Instance()
    with serving(slow_eu, us) as urls:
        source = registry_of(urls, ["eu", "us"])

        async def scenario() -> None:
            async with client(source, "eu") as http:
                # Eight calls at once against one local instance: more than one outstanding.
                assert await drive(http, 80, concurrency=8) == [200] * 80

        asyncio.run(scenario())
        assert us.calls > 0
        spilled = us.calls

        async def nowhere() -> None:
            async with client(source, None) as http:
                assert await drive(http, 40) == [200] * 40

        asyncio.run(nowhere())
        eventually(lambda: us.calls > spilled)

    off = UpstreamPolicy()  # the default: no affinity
    eu, us = Instance(), Instance()
    with serving(eu, us) as urls:
        source = registry_of(urls, ["eu", "us"])

        async def unaffine() -> None:
            async with client(source, "eu", off) as http:
                assert await drive(http, 40) == [200] * 40

        asyncio.run(unaffine())
    assert us.calls > 0
