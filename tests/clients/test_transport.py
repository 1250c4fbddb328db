"""The resilient transport against real instances on real sockets: balancing, retries and their
budget, the caller's deadline."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clients.servers import Instance, Listed, serving
from vodstack.clients.instances import StaticInstances
from vodstack.clients.keepalive import KeepAliveTransport
from vodstack.clients.resilience.breaker import BreakerState
from vodstack.clients.resilience.transport import ResilientTransport
from vodstack.config.resilience import (
    BalancerKind,
    BreakerPolicy,
    HedgePolicy,
    ResilienceSettings,
    RetryPolicy,
    UpstreamPolicy,
)
from vodstack.config.settings import load_settings
from vodstack.core import deadline

# These tests are about balancing and retries: a breaker that never opens stays out of the way.
NEVER_OPENS = BreakerPolicy(min_calls=10_000)


def _client(urls: list[str], policy: UpstreamPolicy) -> httpx.AsyncClient:
    settings = ResilienceSettings(upstreams={"catalog": policy})
    transport = ResilientTransport("catalog", Listed(urls), settings, inner=KeepAliveTransport())
    return httpx.AsyncClient(base_url="http://catalog", transport=transport, timeout=5.0)


async def _drive(client: httpx.AsyncClient, calls: int, concurrency: int) -> list[int]:
    queue = iter(range(calls))
    statuses: list[int] = []

    async def worker() -> None:
        for _ in queue:
            statuses.append((await client.get("/v1/titles")).status_code)

    async with client:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


@pytest.mark.parametrize("kind", [BalancerKind.P2C, BalancerKind.ROUND_ROBIN])
def test_power_of_two_choices_avoids_a_slow_instance_round_robin_does_not(
    kind: BalancerKind,
) -> None:
    slow, fast = Instance(delay_s=0.2), [Instance(), Instance()]
    with serving(slow, *fast) as urls:
        # Balancing alone: a hedge would send some calls to a second instance.
        policy = UpstreamPolicy(balancer=kind, hedge=HedgePolicy(enabled=False))
        client = _client(urls, policy)
        statuses = asyncio.run(_drive(client, calls=150, concurrency=6))
    assert statuses == [200] * 150
    if kind is BalancerKind.P2C:
        assert slow.calls <= 15, f"the slow instance got {slow.calls} of 150 calls"
    else:
        assert slow.calls == 50


def test_a_failing_instance_is_retried_elsewhere_for_idempotent_calls_only() -> None:
    broken, healthy = Instance(status=503), Instance()
    with serving(broken, healthy) as urls:
        policy = UpstreamPolicy(balancer=BalancerKind.ROUND_ROBIN, breaker=NEVER_OPENS)
        client = _client(urls, policy)

        async def calls() -> list[int]:
            async with client:
                gets = [(await client.get("/v1/titles")).status_code for _ in range(4)]
                posts = [(await client.post("/v1/titles")).status_code for _ in range(4)]
                keyed = await client.post("/v1/titles", headers={"Idempotency-Key": "k1"})
                return [*gets, *posts, keyed.status_code]

        statuses = asyncio.run(calls())
    assert statuses[:4] == [200] * 4, "every GET that met the broken instance went on to the other"
    posts = statuses[4:8]
    assert broken.methods.count("POST") == posts.count(503) > 0
    assert healthy.methods.count("POST") - 1 == posts.count(200), "a POST is never sent twice"
    assert statuses[8] == 200, "one with an idempotency key is retried"


def test_retries_never_add_more_than_the_budget_when_everything_fails() -> None:
    down = Instance(status=503)
    retry = RetryPolicy(attempts=3, first_s=0, max_s=0, budget_ratio=0.1, budget_reserve=2)
    with serving(down) as urls:
        client = _client(urls, UpstreamPolicy(retry=retry, breaker=NEVER_OPENS))
        statuses = asyncio.run(_drive(client, calls=100, concurrency=1))
    assert set(statuses) == {503}
    # Three attempts each would be 300 calls; the budget allows 100 x 10 % plus its reserve.
    assert 100 < down.calls <= 112


def test_the_callers_deadline_travels_with_the_call_and_shortens_it() -> None:
    instance = Instance()
    with serving(instance) as urls:
        client = _client(urls, UpstreamPolicy(timeout_s=5.0))

        async def call() -> None:
            async with client:
                token = deadline.deadline_var.set(time.monotonic() + 0.4)
                await client.get("/v1/titles")
                deadline.deadline_var.reset(token)
                await client.get("/v1/titles")

        asyncio.run(call())
    first, second = (int(h[deadline.DEADLINE_HEADER]) for h in instance.headers)
    assert 0 < first <= 400
    assert 4000 < second <= 5000


def test_static_instances_come_from_settings(tmp_path: Path) -> None:
    listed = ["http://127.0.0.1:1", "http://127.0.0.1:2"]
    settings = load_settings(data_dir=tmp_path, resilience={"instances": {"catalog": listed}})
    source = StaticInstances(settings)
    assert list(source.instances("catalog")) == listed
    assert list(source.instances("accounts")) == [settings.service_url("accounts")]


async def _timed(client: httpx.AsyncClient, calls: int) -> list[float]:
    latencies = []
    async with client:
        for _ in range(calls):
            sent = time.perf_counter()
            assert (await client.get("/v1/titles")).status_code == 200
            latencies.append(time.perf_counter() - sent)
    return latencies


def test_a_read_stuck_on_a_slow_instance_is_hedged_to_another_within_the_budget() -> None:
    slow, fast = Instance(health_delay_s=0.0), Instance()
    with serving(slow, fast) as urls:
        # Round robin sends every other call to the slow instance; the median latency is the
        # fast one's, so each of those is hedged after ~20 ms.
        hedge = HedgePolicy(quantile=0.5, min_s=0.02)
        retry = RetryPolicy(budget_ratio=1.0, budget_reserve=10)
        policy = UpstreamPolicy(balancer=BalancerKind.ROUND_ROBIN, hedge=hedge, retry=retry)

        async def reads() -> list[str]:
            async with _client(urls, policy) as client:
                await _answers(client, calls=10)  # the median is known after 8 answers
                # Still healthy (its health checks answer at once), now slow on every call: a
                # hedge wins by seconds, not by a latency bound a busy machine may miss.
                slow.delay_s = 2.0
                return await _answers(client, calls=30)

        answered_by = asyncio.run(reads())
    assert answered_by == [fast.url] * 30, "a read sent to the slow instance waited for it"
    assert slow.calls >= 15 and fast.calls >= 35, "the slow one was tried, the fast one answered"


def test_hedges_spend_the_retry_budget() -> None:
    slow, fast = Instance(delay_s=0.3), Instance()
    with serving(slow, fast) as urls:
        hedge = HedgePolicy(quantile=0.5, min_s=0.02)
        retry = RetryPolicy(budget_ratio=0.1, budget_reserve=2)
        policy = UpstreamPolicy(balancer=BalancerKind.ROUND_ROBIN, hedge=hedge, retry=retry)
        client = _client(urls, policy)
        latencies = asyncio.run(_timed(client, calls=40))
    hedges = slow.calls + fast.calls - 40
    # Half the calls met the slow instance; the budget (2 + 10 % of 40) hedged at most 6.
    assert 1 <= hedges <= 6, (slow.calls, fast.calls)
    assert sum(1 for latency in latencies if latency >= 0.3) >= 10, latencies


def test_a_dead_instance_costs_retries_not_the_upstreams_breaker() -> None:
    alive = Instance()
    with serving(alive) as urls, socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        dead = f"http://127.0.0.1:{unused.getsockname()[1]}"
        settings = ResilienceSettings(upstreams={"catalog": UpstreamPolicy()})
        transport = ResilientTransport(
            "catalog", Listed([dead, *urls]), settings, inner=KeepAliveTransport()
        )
        client = httpx.AsyncClient(base_url="http://catalog", transport=transport, timeout=5.0)
        statuses = asyncio.run(_drive(client, calls=60, concurrency=4))
    assert statuses == [200] * 60, "every call that met the dead instance was retried"
    assert transport.breaker.state is BreakerState.CLOSED
    # A refused connection counts as slow for the balancer: the dead one is not its favourite.
    assert alive.calls == 60


async def _answers(client: httpx.AsyncClient, calls: int) -> list[str]:
    """Which instance answered each of `calls` reads, one after the other."""
    answered_by = []
    for _ in range(calls):
        response = await client.get("/v1/titles")
        assert response.status_code == 200
        answered_by.append(response.headers["x-instance"])
    return answered_by


def test_a_lone_instance_is_never_hedged_two_are() -> None:
    """With one instance a hedge has nowhere to go: its reads skip the hedge's task and wait
    (the playback start's two upstream calls each paid them for nothing)."""
    hedge = HedgePolicy(quantile=0.5, min_s=0.02)
    policy = UpstreamPolicy(balancer=BalancerKind.ROUND_ROBIN, hedge=hedge)

    def hedged_calls(count: int) -> int:
        instances = [Instance() for _ in range(count)]
        with serving(*instances) as urls:
            client = _client(urls, policy)
            transport = client._transport
            assert isinstance(transport, ResilientTransport)
            entered: list[str] = []
            hedged = transport._hedged

            async def spy(call: Any, instance: str, budget: float, delay: float) -> Any:
                entered.append(instance)
                return await hedged(call, instance, budget, delay)

            transport._hedged = spy  # type: ignore[method-assign]
            statuses = asyncio.run(_drive(client, calls=20, concurrency=1))
        assert statuses == [200] * 20
        return len(entered)

    assert hedged_calls(1) == 0
    assert hedged_calls(2) > 0  # hedging is on: once the median is known, reads go through it
