"""Starts written together (services/playback/group_commit.py, `SessionStore.try_open_many`):
one transaction for the starts of a loop iteration, each start with its own outcome, exactly
as `try_open` gives it alone."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import String, select, type_coerce

from tests.services.playback.test_start_on_loop import _new, write_lock_held
from tests.support.clock import FakeClock
from tests.support.playback import TIMEOUT_S
from vodstack.contracts.playback import PlaySession
from vodstack.services.playback.group_commit import GroupCommit
from vodstack.services.playback.models import PlaySessionRow
from vodstack.services.playback.nowait import WouldWait
from vodstack.services.playback.repository import (
    NewSession,
    SessionNotFound,
    SessionStore,
    StreamLimitReached,
)


def _of(clock: FakeClock, sid: str, account: int) -> NewSession:
    return replace(_new(clock, sid), account_id=account)


def _stored_text(store: SessionStore, sid: str) -> tuple[str, ...]:
    """A session's stored values as the database holds them (SQLite: text)."""
    S = PlaySessionRow
    columns = (S.started_at, S.last_heartbeat_at, S.token_expires_at, S.edges, S.position_s)
    query = select(*(type_coerce(c, String) for c in columns)).where(S.id == sid)
    with store._sessions() as db:
        return tuple(db.execute(query).one())


def _sqlite_only(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the loop path is SQLite's")


def test_each_start_of_a_batch_gets_its_own_outcome(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    _sqlite_only(database_url)
    silent = store.try_open(_of(clock, "s-silent01", 31), max_streams=4)
    assert silent is not None
    clock.advance(TIMEOUT_S + 1)  # account 31's stream has gone silent: the ORM path ends it
    starts = [
        (_of(clock, "s-batch001", 30), 1),
        (_of(clock, "s-batch002", 30), 1),  # the same account, its one slot just taken
        (_of(clock, "s-batch003", 31), 4),
        (_of(clock, "s-batch004", 32), 2),
    ]
    outcomes = store.try_open_many(starts)

    first, full, handed, last = outcomes
    assert isinstance(first, PlaySession) and first == store.get("s-batch001", 30)
    assert isinstance(full, StreamLimitReached) and full.active == 1
    assert handed is None
    assert isinstance(last, PlaySession) and last == store.get("s-batch004", 32)
    # Written on the driver's cursor with SQLAlchemy's type processors: read back typed, as
    # `try_open` writes it.
    stored, new = store.row("s-batch001", 30), starts[0][0]
    assert (stored.edges, stored.token_expires_at) == (new.edges, new.token_expires_at)
    assert stored.started_at == stored.last_heartbeat_at == clock()
    assert (stored.region, stored.ended_at, stored.end_reason) == (new.region, None, None)
    # And byte for byte as SQLAlchemy's execution stores them (dates as text, edges as JSON).
    assert store.try_open(_of(clock, "s-core0001", 33), max_streams=4) is not None
    assert _stored_text(store, "s-batch004") == _stored_text(store, "s-core0001")
    for sid, account in (("s-batch002", 30), ("s-batch003", 31)):
        with pytest.raises(SessionNotFound):
            store.get(sid, account)  # rolled back to its savepoint, the others kept


def test_a_busy_database_or_write_lock_writes_nothing(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    _sqlite_only(database_url)
    starts = [(_of(clock, f"s-busy{n:04d}", 40 + n), 2) for n in range(3)]
    with write_lock_held(database_url), pytest.raises(WouldWait):
        store.try_open_many(starts)
    with store._write_lock, pytest.raises(WouldWait):  # the sweep writing in a thread
        store.try_open_many(starts)
    for new, _limit in starts:
        with pytest.raises(SessionNotFound):
            store.get(new.id, new.account_id)


def test_on_a_server_database_every_start_takes_the_thread_path(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("a server database")
    assert store.try_open_many([(_of(clock, "s-pg000001", 50), 2)]) == [None]


def test_the_starts_of_one_loop_iteration_share_one_commit(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    _sqlite_only(database_url)
    writes = GroupCommit(store.try_open_many)

    async def scenario() -> None:
        opened = await asyncio.gather(
            *(writes.open(_of(clock, f"s-loop{n:04d}", 60 + n), 2) for n in range(5))
        )
        assert all(isinstance(session, PlaySession) for session in opened)
        assert (writes.flushes, writes.written) == (1, 5)
        with pytest.raises(StreamLimitReached):
            await writes.open(_of(clock, "s-loop9999", 60), 1)
        assert writes.flushes == 2

        # A start cancelled while queued (its client went away) is not written.
        queued = asyncio.ensure_future(writes.open(_of(clock, "s-gone0001", 70), 2))
        kept = asyncio.ensure_future(writes.open(_of(clock, "s-kept0001", 71), 2))
        await asyncio.sleep(0)  # both queued, the flush scheduled
        queued.cancel()
        assert isinstance(await kept, PlaySession)

    asyncio.run(scenario())
    assert store.get("s-kept0001", 71).active
    with pytest.raises(SessionNotFound):
        store.get("s-gone0001", 70)


def test_a_batch_larger_than_the_bound_is_written_in_several_transactions(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    _sqlite_only(database_url)
    writes = GroupCommit(store.try_open_many, max_batch=2)

    async def scenario() -> None:
        await asyncio.gather(
            *(writes.open(_of(clock, f"s-many{n:04d}", 80 + n), 2) for n in range(5))
        )

    asyncio.run(scenario())
    assert (writes.flushes, writes.written) == (3, 5)


def test_a_batch_that_meets_the_held_write_lock_waits_for_it_on_the_loop(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    """The sweep holds the lock in a thread: the batch tries again on the loop and is written
    in one transaction once the lock is free, not sent to a thread per start."""
    _sqlite_only(database_url)
    writes = GroupCommit(store.try_open_many, retry_s=0.001, clock=lambda: 0.0)

    async def scenario() -> list[PlaySession | None]:
        store._write_lock.acquire()
        asyncio.get_running_loop().call_later(0.01, store._write_lock.release)
        return await asyncio.gather(
            *(writes.open(_of(clock, f"s-wait{n:04d}", 90 + n), 2) for n in range(3))
        )

    opened = asyncio.run(scenario())
    assert all(isinstance(session, PlaySession) for session in opened)
    assert (writes.flushes, writes.written) == (1, 3)


def test_a_batch_that_waited_its_bound_takes_the_thread_path(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    _sqlite_only(database_url)
    ticks = iter(range(1000))
    writes = GroupCommit(store.try_open_many, retry_s=0.001, wait_s=3, clock=lambda: next(ticks))

    async def scenario() -> list[PlaySession | None]:
        return await asyncio.gather(
            *(writes.open(_of(clock, f"s-late{n:04d}", 95 + n), 2) for n in range(2))
        )

    with store._write_lock:
        assert asyncio.run(scenario()) == [None, None]  # the caller then calls `open`
    assert writes.written == 0
    with pytest.raises(SessionNotFound):
        store.get("s-late0000", 95)
