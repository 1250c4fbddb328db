"""Contract of `SessionCache`, run over every implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeMonotonic
from tests.support.redis_server import REDIS_URL, closed_port_url, redis_prefix
from vodstack.contracts.accounts import Account, Plan, PlanCode, Role, SessionInfo
from vodstack.core.redis_guard import RedisGuard
from vodstack.gateway.session_cache import InMemorySessionCache, RedisSessionCache, SessionCache

pytestmark = pytest.mark.anyio

TTL = 5.0


def session(sid: str, account_id: int = 1) -> SessionInfo:
    plan = Plan(code=PlanCode.BASIC, name="Basic", max_height=720, max_streams=1, price_cents=1)
    account = Account(
        id=account_id,
        email=f"a{account_id}@example.com",
        role=Role.VIEWER,
        plan=plan,
        created_at=datetime(2030, 1, 1, tzinfo=UTC),
    )
    return SessionInfo(
        session_id=sid,
        account=account,
        profile=None,
        expires_at=datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=1),
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic(start=1000.0)


@pytest.fixture(params=["in-memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make(
    request: pytest.FixtureRequest, clock: FakeMonotonic
) -> AsyncIterator[Callable[[], SessionCache]]:
    if request.param == "in-memory":
        yield lambda: InMemorySessionCache(TTL, clock=clock)
        return
    with redis_prefix() as prefix:
        guard = RedisGuard(REDIS_URL, prefix=prefix)
        yield lambda: RedisSessionCache(guard, TTL, clock=clock)
        await guard.aclose()


async def test_put_then_get_returns_the_session(make: Callable[[], SessionCache]) -> None:
    cache = make()
    await cache.put(session("s1"))
    cached = await cache.get("s1")
    assert cached is not None and cached.session_id == "s1"
    assert await cache.get("unknown") is None


async def test_entries_expire_after_the_ttl(
    make: Callable[[], SessionCache], clock: FakeMonotonic
) -> None:
    cache = make()
    await cache.put(session("s1"))
    clock.now += TTL - 0.1
    assert await cache.get("s1") is not None
    clock.now += 0.2
    assert await cache.get("s1") is None


async def test_invalidate_forgets_one_session(make: Callable[[], SessionCache]) -> None:
    cache = make()
    await cache.put(session("s1"))
    await cache.put(session("s2"))
    await cache.invalidate("s1")
    assert await cache.get("s1") is None
    assert await cache.get("s2") is not None


async def test_invalidate_account_forgets_all_its_sessions(
    make: Callable[[], SessionCache],
) -> None:
    cache = make()
    await cache.put(session("a", account_id=1))
    await cache.put(session("b", account_id=1))
    await cache.put(session("c", account_id=2))
    await cache.invalidate_account(1)
    assert await cache.get("a") is None
    assert await cache.get("b") is None
    assert await cache.get("c") is not None


async def test_in_process_size_is_bounded_least_recently_used_goes_first(
    clock: FakeMonotonic,
) -> None:
    # Redis bounds its memory by the entries' TTL (and the server's maxmemory) instead.
    cache = InMemorySessionCache(TTL, max_entries=2, clock=clock)
    await cache.put(session("old"))
    await cache.put(session("mid"))
    assert await cache.get("old") is not None  # touch: "mid" is now least recently used
    await cache.put(session("new"))
    assert await cache.get("mid") is None
    assert await cache.get("old") is not None
    assert await cache.get("new") is not None


async def test_zero_ttl_disables_caching(clock: FakeMonotonic) -> None:
    cache = InMemorySessionCache(0, clock=clock)
    await cache.put(session("s1"))
    assert await cache.get("s1") is None
    assert len(cache) == 0


async def test_a_session_cached_by_one_gateway_is_seen_and_invalidated_by_another(
    clock: FakeMonotonic,
) -> None:
    with redis_prefix() as prefix:
        one, two = RedisGuard(REDIS_URL, prefix=prefix), RedisGuard(REDIS_URL, prefix=prefix)
        first, second = (
            RedisSessionCache(one, TTL, clock=clock),
            RedisSessionCache(two, TTL, clock=clock),
        )
        await first.put(session("s1", account_id=7))
        assert await second.get("s1") is not None
        await second.invalidate_account(7)  # e.g. the plan changed through the second gateway
        assert await first.get("s1") is None
        await one.aclose()
        await two.aclose()


async def test_with_redis_unreachable_every_call_falls_back_and_is_counted(
    clock: FakeMonotonic,
) -> None:
    guard = RedisGuard(closed_port_url(), retry_s=0)
    cache = RedisSessionCache(guard, TTL, clock=clock)
    await cache.put(session("s1"))
    assert await cache.get("s1") is None  # a miss: the gateway asks the accounts service
    await cache.invalidate("s1")
    await cache.invalidate_account(1)
    assert guard.fallbacks == {
        ("sessions", "put"): 1,
        ("sessions", "get"): 1,
        ("sessions", "invalidate"): 1,
        ("sessions", "invalidate_account"): 1,
    }
