from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.support.cdn import make_settings
from vodstack.control.health import HealthMonitor
from vodstack.delivery.topology import Topology

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def topology(tmp_path: Path) -> Topology:
    return Topology.from_settings(make_settings(tmp_path, regions=["eu"], edges_per_region=3))


def test_recent_errors_make_an_edge_unhealthy_until_they_age_out(topology: Topology) -> None:
    clock = Clock()
    monitor = HealthMonitor(topology.edges, error_threshold=3, error_window_s=10, clock=clock)
    for _ in range(2):
        monitor.record_error("edge-eu-1")
    assert monitor.is_healthy("edge-eu-1")
    monitor.record_error("edge-eu-1")
    assert not monitor.is_healthy("edge-eu-1")
    clock.now += 11
    assert monitor.is_healthy("edge-eu-1")
    assert not monitor.is_healthy("edge-nowhere-1")


async def test_active_checks_read_health_and_load(topology: Topology) -> None:
    by_port = {edge.port: edge.name for edge in topology.edges}

    def handler(request: httpx.Request) -> httpx.Response:
        name = by_port[request.url.port or 0]
        if name == "edge-eu-2":
            raise httpx.ConnectError("refused", request=request)
        if name == "edge-eu-3":
            return httpx.Response(500)
        return httpx.Response(200, json={"status": "ok", "in_flight": 7})

    monitor = HealthMonitor(topology.edges)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        await monitor.check_once(client)
    assert monitor.is_healthy("edge-eu-1") and monitor.load("edge-eu-1") == 7
    assert not monitor.is_healthy("edge-eu-2")
    assert not monitor.is_healthy("edge-eu-3")


async def test_the_check_loop_is_owned_and_stops(topology: Topology) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"in_flight": 0})

    monitor = HealthMonitor(topology.edges, interval_s=0.01, transport=httpx.MockTransport(handler))
    await monitor.start()
    while len(seen) < 6:
        await asyncio.sleep(0.01)
    await monitor.stop()
    count = len(seen)
    await asyncio.sleep(0.05)
    assert len(seen) == count


async def test_holdings_are_polled_every_nth_check_and_kept_when_a_poll_fails(
    topology: Topology,
) -> None:
    first = topology.edges[0].port
    answers: list[bytes] = [
        b'{"titles": {"t1": 100, "t2": 5}}',
        b"not json",
        b'{"titles": {"t3": 1}}',
    ]
    polls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/holdings":
            return httpx.Response(200, json={"in_flight": 0})
        if request.url.port != first:
            return httpx.Response(200, json={"titles": {}})
        polls.append(1)
        return httpx.Response(200, content=answers[min(len(polls), len(answers)) - 1])

    monitor = HealthMonitor(topology.edges, holdings_every=2)
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        await monitor.check_once(client)  # round 0 polls holdings
        assert monitor.holds("edge-eu-1", "t1") and monitor.holds("edge-eu-1", "t2")
        assert not monitor.holds("edge-eu-2", "t1") and not monitor.holds("edge-eu-1", "t9")
        await monitor.check_once(client)  # round 1 does not
        assert len(polls) == 1
        await monitor.check_once(client)  # round 2 polls; the answer is garbage: keep the last
        assert len(polls) == 2 and monitor.holds("edge-eu-1", "t1")
        await monitor.check_once(client)
        await monitor.check_once(client)  # round 4 polls again
        assert monitor.holds("edge-eu-1", "t3") and not monitor.holds("edge-eu-1", "t1")
    assert not monitor.holds("edge-nowhere-1", "t1")
