"""Contract of `RateLimiter` (token buckets), run over every implementation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.clock import FakeMonotonic
from vodstack.config.settings import RateLimit
from vodstack.core.errors import TooManyRequests
from vodstack.gateway.rate_limit import InMemoryRateLimiter, RateLimiter

pytestmark = pytest.mark.anyio

LIMIT = RateLimit(per_minute=6, burst=3)  # one token every 10 s


Factory = Callable[[FakeMonotonic, int], RateLimiter]
IMPLEMENTATIONS: dict[str, Factory] = {
    "in-memory": lambda clock, n: InMemoryRateLimiter(LIMIT, max_clients=n, clock=clock),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic(start=50.0)


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def make(request: pytest.FixtureRequest, clock: FakeMonotonic) -> Callable[[int], RateLimiter]:
    factory = IMPLEMENTATIONS[request.param]

    def build(max_clients: int) -> RateLimiter:
        return factory(clock, max_clients)

    return build


async def test_burst_is_allowed_then_refused_with_the_wait(
    make: Callable[[int], RateLimiter],
) -> None:
    limiter = make(1000)
    assert [await limiter.acquire("ip") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert await limiter.acquire("ip") == pytest.approx(10.0)


async def test_tokens_refill_over_time(
    make: Callable[[int], RateLimiter], clock: FakeMonotonic
) -> None:
    limiter = make(1000)
    for _ in range(3):
        await limiter.acquire("ip")
    clock.now += 10.0
    assert await limiter.acquire("ip") == 0.0
    assert await limiter.acquire("ip") > 0


async def test_clients_have_separate_buckets(make: Callable[[int], RateLimiter]) -> None:
    limiter = make(1000)
    for _ in range(3):
        await limiter.acquire("a")
    assert await limiter.acquire("a") > 0
    assert await limiter.acquire("b") == 0.0


async def test_check_raises_with_a_whole_retry_after(make: Callable[[int], RateLimiter]) -> None:
    limiter = make(1000)
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
