"""Contract of `RateLimiter` (token buckets), run over every implementation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from tests.support.clock import FakeMonotonic
from tests.support.redis_server import REDIS_URL, closed_port_url, redis_prefix
from vodstack.config.settings import RateLimit
from vodstack.core.errors import TooManyRequests
from vodstack.core.redis_guard import RedisGuard
from vodstack.gateway.rate_limit import InMemoryRateLimiter, RateLimiter, RedisRateLimiter

pytestmark = pytest.mark.anyio

LIMIT = RateLimit(per_minute=6, burst=3)  # one token every 10 s


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic(start=50.0)


@pytest.fixture(params=["in-memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make(
    request: pytest.FixtureRequest, clock: FakeMonotonic
) -> AsyncIterator[Callable[[], RateLimiter]]:
    if request.param == "in-memory":
        yield lambda: InMemoryRateLimiter(LIMIT, clock=clock)
        return
    with redis_prefix() as prefix:
        guard = RedisGuard(REDIS_URL, prefix=prefix)
        yield lambda: RedisRateLimiter(guard, LIMIT, "login", clock=clock)
        await guard.aclose()


async def test_burst_is_allowed_then_refused_with_the_wait(
    make: Callable[[], RateLimiter],
) -> None:
    limiter = make()
    assert [await limiter.acquire("ip") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await limiter.acquire("ip") == pytest.approx(10.0)


async def test_tokens_refill_over_time(
    make: Callable[[], RateLimiter], clock: FakeMonotonic
) -> None:
    limiter = make()
    for _ in range(3):
        await limiter.acquire("ip")
    clock.now += 10.0
    assert await limiter.acquire("ip") == 0.0
    assert await limiter.acquire("ip") > 0


async def test_clients_have_separate_buckets(make: Callable[[], RateLimiter]) -> None:
    limiter = make()
    for _ in range(3):
        await limiter.acquire("a")
    assert await limiter.acquire("a") > 0
    assert await limiter.acquire("b") == 0.0


async def test_check_raises_with_a_whole_retry_after(make: Callable[[], RateLimiter]) -> None:
    limiter = make()
    for _ in range(3):
        await limiter.check("ip", "login")
    with pytest.raises(TooManyRequests) as caught:
        await limiter.check("ip", "login")
    assert caught.value.retry_after == 10
    assert "login" in caught.value.message


async def test_tracked_clients_are_bounded(clock: FakeMonotonic) -> None:
    limiter = InMemoryRateLimiter(LIMIT, max_clients=2, clock=clock)
    for key in ("a", "b", "c"):
        await limiter.acquire(key)
    assert len(limiter) == 2


async def test_gateways_sharing_redis_share_one_bucket_even_when_racing(
    clock: FakeMonotonic,
) -> None:
    with redis_prefix() as prefix:
        guards = [RedisGuard(REDIS_URL, prefix=prefix) for _ in range(3)]
        limiters = [RedisRateLimiter(g, LIMIT, "login", clock=clock) for g in guards]
        # Nine attempts at once, spread over three gateways: the burst (3) is all they get.
        waits = await asyncio.gather(*(limiters[i % 3].acquire("ip") for i in range(9)))
        assert sorted(waits)[:4] == [0.0, 0.0, 0.0, pytest.approx(10.0)]
        assert sum(wait == 0.0 for wait in waits) == 3
        for guard in guards:
            await guard.aclose()


async def test_by_default_buckets_run_on_the_redis_servers_clock() -> None:
    with redis_prefix() as prefix:
        guard = RedisGuard(REDIS_URL, prefix=prefix)
        limiter = RedisRateLimiter(guard, LIMIT, "login")  # clock None: Redis's TIME
        assert [await limiter.acquire("ip") for _ in range(3)] == [0.0, 0.0, 0.0]
        # Some real time passed since the first token (any amount): the wait is below 10 s.
        assert 0 < await limiter.acquire("ip") <= 10.0
        await guard.aclose()


async def test_with_redis_unreachable_each_gateway_keeps_limiting_on_its_own(
    clock: FakeMonotonic,
) -> None:
    guard = RedisGuard(closed_port_url(), retry_s=0)
    limiter = RedisRateLimiter(guard, LIMIT, "login", clock=clock)
    assert [await limiter.acquire("ip") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await limiter.acquire("ip") == pytest.approx(10.0)
    assert guard.fallbacks == {("rate_limits", "acquire"): 4}
