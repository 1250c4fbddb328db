"""AnswerCache over every answer store (in process, Redis): replays until the data changes,
a write through any instance is seen by every instance, errors and refused callers always
reach the app; with Redis down or killed, every read is answered by the app (counted)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.support.redis_server import REDIS_URL, closed_port_url, private_redis, redis_prefix
from tests.support.waiting import eventually
from vodstack.core.answer_cache import AnswerCache
from vodstack.core.answer_store import AnswerStore, MemoryAnswers
from vodstack.core.redis_answers import RedisAnswers
from vodstack.core.redis_guard import RedisGuard

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Database:
    """What the instances share: commits, and SQLite's data_version that they move."""

    commits: int = 0

    def data_version(self) -> int:
        return self.commits


@dataclass
class CountingApp:
    """One instance's app: GET answers `{path}@{commits}` (404 under /missing), and counts the
    calls that reached it; POST commits."""

    db: Database
    calls: int = 0
    routes: list[str] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        if scope["method"] == "POST":
            self.db.commits += 1
            status, body = 201, b"created"
        else:
            status = 404 if scope["path"].startswith("/missing") else 200
            body = f"{scope['path']}@{self.db.commits}".encode()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})


class Instance:
    def __init__(self, db: Database, store: AnswerStore) -> None:
        self.app = CountingApp(db)
        self.cache = AnswerCache(
            self.app,
            paths=[r"/items/\d+", r"/missing/\d+"],
            store=store,
            admits=lambda scope: scope["caller"] == "trusted",
        )

    async def call(
        self, path: str, *, method: str = "GET", caller: str = "trusted"
    ) -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "query_string": b"",
            "caller": caller,
        }
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await self.cache(scope, receive, send)
        return sent[0]["status"], sent[1]["body"]

    async def get(self, path: str, caller: str = "trusted") -> tuple[int, bytes]:
        return await self.call(path, caller=caller)


StoreFactory = Callable[[Database], AnswerStore]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[StoreFactory]:
    """Makes one instance's store; instances made by one factory share their data."""
    if request.param == "memory":
        yield lambda db: MemoryAnswers(db.data_version)
        return
    guards: list[RedisGuard] = []

    def make(_: Database) -> AnswerStore:
        # No local data version: the PostgreSQL case, where only writes move the version.
        guards.append(RedisGuard(REDIS_URL, prefix=prefix))
        return RedisAnswers(guards[-1], "catalog", ttl_s=60)

    with redis_prefix() as prefix:
        yield make
        for guard in guards:
            assert guard.fallbacks == {}
            await guard.aclose()


async def test_answers_are_replayed_until_a_write(stores: StoreFactory) -> None:
    db = Database()
    one = Instance(db, stores(db))
    assert await one.get("/items/1") == (200, b"/items/1@0")
    assert await one.get("/items/1") == (200, b"/items/1@0")
    assert one.app.calls == 1
    assert await one.call("/items", method="POST") == (201, b"created")
    assert await one.get("/items/1") == (200, b"/items/1@1")


async def test_a_write_through_one_instance_is_seen_by_every_other(stores: StoreFactory) -> None:
    db = Database()
    one, two = Instance(db, stores(db)), Instance(db, stores(db))
    assert await one.get("/items/1") == (200, b"/items/1@0")
    assert await two.get("/items/1") == (200, b"/items/1@0")
    await one.call("/items", method="POST")
    assert await two.get("/items/1") == (200, b"/items/1@1")
    assert await one.get("/items/1") == (200, b"/items/1@1")


async def test_errors_refused_callers_and_other_paths_always_reach_the_app(
    stores: StoreFactory,
) -> None:
    db = Database()
    one = Instance(db, stores(db))
    assert await one.get("/missing/1") == (404, b"/missing/1@0")
    assert await one.get("/missing/1") == (404, b"/missing/1@0")
    await one.get("/items/1")
    assert await one.get("/items/1", caller="forged") == (200, b"/items/1@0")
    await one.get("/other")
    assert one.app.calls == 5


async def test_in_process_past_its_byte_budget_it_starts_over_and_stays_correct() -> None:
    db = Database()
    one = Instance(db, MemoryAnswers(db.data_version, max_bytes=40))  # two answers and keys
    for n in range(1, 4):
        await one.get(f"/items/{n}")
    await one.get("/items/3")
    assert one.app.calls == 3  # kept after the restart
    await one.get("/items/1")
    assert one.app.calls == 4  # forgotten: asked again


@pytest.mark.redis
async def test_in_redis_one_instance_answers_from_what_another_filled() -> None:
    db = Database()
    with redis_prefix() as prefix:
        guards = [RedisGuard(REDIS_URL, prefix=prefix) for _ in range(2)]
        one, two = (Instance(db, RedisAnswers(g, "catalog", ttl_s=60)) for g in guards)
        await one.get("/items/1")
        assert await two.get("/items/1") == (200, b"/items/1@0")
        assert two.app.calls == 0
        for guard in guards:
            await guard.aclose()


@pytest.mark.redis
async def test_in_redis_a_commit_outside_the_api_is_seen_through_the_data_version() -> None:
    db = Database()
    with redis_prefix() as prefix:
        guard = RedisGuard(REDIS_URL, prefix=prefix)
        one = Instance(db, RedisAnswers(guard, "catalog", ttl_s=60, data_version=db.data_version))
        await one.get("/items/1")
        db.commits += 1  # e.g. a command writing the SQLite file directly
        assert await one.get("/items/1") == (200, b"/items/1@1")
        await guard.aclose()


async def test_with_redis_unreachable_every_read_reaches_the_app_and_is_counted() -> None:
    db = Database()
    guard = RedisGuard(closed_port_url(), retry_s=0)
    one = Instance(db, RedisAnswers(guard, "catalog", ttl_s=60))
    for _ in range(3):
        assert await one.get("/items/1") == (200, b"/items/1@0")
    await one.call("/items", method="POST")
    assert await one.get("/items/1") == (200, b"/items/1@1")
    assert one.app.calls == 5
    assert guard.fallbacks == {("answers", "lookup"): 4, ("answers", "changed"): 1}


async def test_a_redis_killed_mid_test_turns_every_read_into_a_call_to_the_app(
    tmp_path: Path,
) -> None:
    db = Database()
    with private_redis(tmp_path) as server:
        guard = RedisGuard(server.url, retry_s=60)
        one = Instance(db, RedisAnswers(guard, "catalog", ttl_s=60))
        await one.get("/items/1")
        await one.get("/items/1")
        assert one.app.calls == 1 and guard.fallback_count() == 0
        server.stop()
        for _ in range(3):
            assert await one.get("/items/1") == (200, b"/items/1@0")
        assert one.app.calls == 4
        # The first failure paused Redis for retry_s: the others did not wait for a timeout.
        assert guard.fallbacks == {("answers", "lookup"): 3}
        await guard.aclose()


async def test_a_write_whose_invalidation_failed_is_announced_before_the_next_read(
    tmp_path: Path,
) -> None:
    db = Database()
    with private_redis(tmp_path) as server:
        one_guard, two_guard = RedisGuard(server.url, retry_s=0), RedisGuard(server.url)
        one = Instance(db, RedisAnswers(one_guard, "catalog", ttl_s=60))
        two = Instance(db, RedisAnswers(two_guard, "catalog", ttl_s=60))
        await one.get("/items/1")
        admin = redis.Redis.from_url(server.url)
        admin.client_pause(3000, all=True)  # Redis stops answering a while
        await one.call("/items", method="POST")  # its version bump times out
        assert one_guard.fallbacks[("answers", "changed")] == 1
        eventually(admin.ping, timeout_s=30, message="Redis never came back from its pause")
        # Back: the next read through `one` bumps first, so no instance replays the old answer.
        assert await one.get("/items/1") == (200, b"/items/1@1")
        assert await two.get("/items/1") == (200, b"/items/1@1")
        admin.close()
        await one_guard.aclose()
        await two_guard.aclose()
