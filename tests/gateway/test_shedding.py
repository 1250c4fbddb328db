"""Load shedding: the lowest priority is refused first, with 503 and Retry-After, and counted;
the limit adapts (AIMD)."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client import CollectorRegistry

from tests.support.clock import FakeMonotonic
from vodstack.config.resilience import Priority, SheddingSettings
from vodstack.core.metrics import Receive, Scope, Send
from vodstack.gateway.shedding import AimdLimit, LoadShedder

FIXED = SheddingSettings(initial_limit=10, min_limit=10, max_limit=10)
PATHS = {
    Priority.LOW: "/api/search",
    Priority.NORMAL: "/api/titles",
    Priority.CRITICAL: "/api/playback/1/start",
}


class Held:
    """An app whose requests stay in flight until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _fill(order: list[Priority]) -> tuple[list[tuple[Priority, int, str]], CollectorRegistry]:
    held, registry = Held(), CollectorRegistry()
    shedder = LoadShedder(held, settings=FIXED, registry=registry)
    outcomes: list[tuple[Priority, int, str]] = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=shedder), base_url="http://gateway"
    ) as client:

        async def one(priority: Priority) -> None:
            response = await client.get(PATHS[priority])
            outcomes.append(
                (priority, response.status_code, response.headers.get("retry-after", ""))
            )

        tasks = []
        for priority in order:
            tasks.append(asyncio.create_task(one(priority)))
            await asyncio.sleep(0.01)  # admitted in this order
        held.release.set()
        await asyncio.gather(*tasks)
    return outcomes, registry


def test_the_lowest_priority_is_shed_first_then_browsing_and_playback_last() -> None:
    order = [Priority.NORMAL] * 5 + [Priority.LOW, Priority.NORMAL, Priority.NORMAL]
    order += [Priority.NORMAL, Priority.NORMAL, Priority.CRITICAL, Priority.CRITICAL]
    order += [Priority.CRITICAL]
    outcomes, registry = asyncio.run(_fill(order))
    shed = sorted((p, s) for p, s, _ in outcomes if s == 503)
    # Limit 10: search may fill half, browsing 80 %, playback all of it.
    assert shed == [(Priority.LOW, 503), (Priority.NORMAL, 503), (Priority.CRITICAL, 503)]
    assert all(retry == "1" for _, status, retry in outcomes if status == 503)
    assert sum(1 for _, status, _ in outcomes if status == 200) == 10
    for name in ("low", "normal", "critical"):
        assert registry.get_sample_value("vodstack_gateway_shed_total", {"priority": name}) == 1


def test_a_browser_is_told_in_a_page() -> None:
    async def refused() -> httpx.Response:
        settings = SheddingSettings(initial_limit=1, min_limit=1, max_limit=1)
        held = Held()
        shedder = LoadShedder(held, settings=settings, registry=CollectorRegistry())
        transport = httpx.ASGITransport(app=shedder)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            first = asyncio.create_task(client.get("/"))
            await asyncio.sleep(0.01)
            page = await client.get("/", headers={"Accept": "text/html"})
            held.release.set()
            await first
        return page

    page = asyncio.run(refused())
    assert page.status_code == 503 and page.headers["retry-after"] == "1"
    assert "busy right now" in page.text and page.headers["content-type"].startswith("text/html")


def test_routes_map_to_priorities_browsing_by_default() -> None:
    assert SheddingSettings().priority("/api/playback/abc/heartbeat") is Priority.CRITICAL
    assert SheddingSettings().priority("/admin/titles") is Priority.LOW
    assert SheddingSettings().priority("/") is Priority.NORMAL


def test_the_limit_grows_while_used_and_quick_and_shrinks_on_slow_answers() -> None:
    settings = SheddingSettings(initial_limit=10, min_limit=5, max_limit=12, slow_s=1.0)
    clock = FakeMonotonic()
    limit = AimdLimit(settings, clock)
    for _ in range(10):
        assert limit.admit(Priority.CRITICAL)
    for _ in range(10):
        limit.done(0.01)
    assert limit.limit == 12, "grew by one per quick answer while half the limit was in use, capped"
    limit.admit(Priority.CRITICAL)
    limit.done(0.01)
    assert limit.limit == 12, "an idle limit does not grow"
    for _ in range(3):
        limit.admit(Priority.CRITICAL)
    limit.done(2.0)
    limit.done(2.0)
    assert limit.limit == 12 * 0.9, "one cut per slow period"
    clock.advance(1.0)
    limit.done(2.0)
    assert limit.limit == 12 * 0.9 * 0.9
