"""Contract of `SessionCache`, run over every implementation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.clock import FakeMonotonic
from vodstack.contracts.accounts import Account, Plan, PlanCode, Role, SessionInfo
from vodstack.gateway.session_cache import InMemorySessionCache, SessionCache

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


Factory = Callable[[FakeMonotonic, int], SessionCache]
IMPLEMENTATIONS: dict[str, Factory] = {
    "in-memory": lambda clock, size: InMemorySessionCache(TTL, max_entries=size, clock=clock),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic(start=1000.0)


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def make(request: pytest.FixtureRequest, clock: FakeMonotonic) -> Callable[[int], SessionCache]:
    factory = IMPLEMENTATIONS[request.param]

    def build(size: int) -> SessionCache:
        return factory(clock, size)

    return build


async def test_put_then_get_returns_the_session(make: Callable[[int], SessionCache]) -> None:
    cache = make(100)
    await cache.put(session("s1"))
    cached = await cache.get("s1")
    assert cached is not None and cached.session_id == "s1"
    assert await cache.get("unknown") is None


async def test_entries_expire_after_the_ttl(
    make: Callable[[int], SessionCache], clock: FakeMonotonic
) -> None:
    cache = make(100)
    await cache.put(session("s1"))
    clock.now += TTL - 0.1
    assert await cache.get("s1") is not None
    clock.now += 0.2
    assert await cache.get("s1") is None


async def test_invalidate_forgets_one_session(make: Callable[[int], SessionCache]) -> None:
    cache = make(100)
    await cache.put(session("s1"))
    await cache.put(session("s2"))
    await cache.invalidate("s1")
    assert await cache.get("s1") is None
    assert await cache.get("s2") is not None


async def test_invalidate_account_forgets_all_its_sessions(
    make: Callable[[int], SessionCache],
) -> None:
    cache = make(100)
    await cache.put(session("a", account_id=1))
    await cache.put(session("b", account_id=1))
    await cache.put(session("c", account_id=2))
    await cache.invalidate_account(1)
    assert await cache.get("a") is None
    assert await cache.get("b") is None
    assert await cache.get("c") is not None


async def test_size_is_bounded_least_recently_used_goes_first(
    make: Callable[[int], SessionCache],
) -> None:
    cache = make(2)
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
