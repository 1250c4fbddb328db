"""A start's write on the event loop (`SessionStore.try_open`): the fast path's statements when
they need not wait, nothing at all when they would (the caller then takes `open` in a thread).

On PostgreSQL there is no loop path (a server round trip would block the loop): `try_open`
always hands over.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from tests.support.clock import FakeClock
from vodstack.services.playback.repository import (
    NewSession,
    SessionNotFound,
    SessionStore,
    StreamLimitReached,
)

ACCOUNT = 9


def _new(clock: FakeClock, sid: str) -> NewSession:
    return NewSession(
        id=sid,
        account_id=ACCOUNT,
        profile_id=1,
        title_id=1,
        asset_version="v1",
        region=None,
        max_height=720,
        edges=["http://edge-a"],
        token_expires_at=clock() + timedelta(hours=6),
    )


@contextmanager
def write_lock_held(database_url: str) -> Iterator[sqlite3.Connection]:
    """Another connection holding the SQLite file's write lock (as another process would)."""
    path = database_url.removeprefix("sqlite:///")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


def test_a_start_on_the_loop_writes_what_open_writes(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    opened = store.try_open(_new(clock, "s-loop0001"), max_streams=2)
    if not database_url.startswith("sqlite"):
        assert opened is None
        with pytest.raises(SessionNotFound):
            store.get("s-loop0001", ACCOUNT)
        return
    assert opened is not None and opened == store.get("s-loop0001", ACCOUNT)
    with pytest.raises(StreamLimitReached):
        store.try_open(_new(clock, "s-loop0002"), max_streams=1)
    with pytest.raises(SessionNotFound):
        store.get("s-loop0002", ACCOUNT)


def test_a_held_write_lock_hands_the_start_to_the_thread_path(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock")
    with write_lock_held(database_url) as other:
        assert store.try_open(_new(clock, "s-busy0001"), max_streams=2) is None
        # The thread path waits for the lock instead: released while it waits, it writes.
        threading.Timer(0.5, other.execute, ["ROLLBACK"]).start()
        store.open(_new(clock, "s-busy0001"), max_streams=2)
    assert store.get("s-busy0001", ACCOUNT).active


def test_a_start_in_a_thread_of_this_process_hands_over(
    store: SessionStore, database_url: str, clock: FakeClock
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the loop path is SQLite's")
    with store._write_lock:  # a heartbeat or the sweeper writing in a thread right now
        assert store.try_open(_new(clock, "s-held0001"), max_streams=2) is None
    with pytest.raises(SessionNotFound):
        store.get("s-held0001", ACCOUNT)
