"""The store's Core fast paths (a start, a heartbeat) against its ORM path, on both engines.

Each case is one the fast path must either do exactly as the ORM path did, or hand over to it
untouched: a silent stream to end, a session ended, missing or another account's.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.clock import FakeClock
from tests.support.playback import TIMEOUT_S
from vodstack.contracts.playback import EndReason
from vodstack.services.playback.models import AccountLockRow, PlaySessionRow
from vodstack.services.playback.repository import (
    NewSession,
    SessionEnded,
    SessionNotFound,
    SessionStore,
    StreamLimitReached,
)

ACCOUNT = 7


def _new(clock: FakeClock, sid: str, login: str | None = None) -> NewSession:
    return NewSession(
        id=sid,
        account_id=ACCOUNT,
        profile_id=1,
        title_id=1,
        asset_version="v1",
        region=None,
        max_height=720,
        edges=["http://edge-a", "http://edge-b"],
        token_expires_at=clock() + timedelta(hours=6),
        login_ref=login,
    )


def test_the_fast_path_is_taken_on_this_engine(store: SessionStore) -> None:
    assert store._engine is not None  # else every case below tests the ORM path only


def test_a_start_answers_what_the_store_then_reads(store: SessionStore, clock: FakeClock) -> None:
    opened = store.open(_new(clock, "s-aaaaaaaa"), max_streams=2)
    assert opened == store.get("s-aaaaaaaa", ACCOUNT)
    assert opened.active and opened.position_s == 0.0 and opened.rendition is None
    assert store.row("s-aaaaaaaa", ACCOUNT).edges == ["http://edge-a", "http://edge-b"]


def test_a_start_at_the_limit_writes_nothing(store: SessionStore, clock: FakeClock) -> None:
    store.open(_new(clock, "s-aaaaaaaa"), max_streams=1)
    with pytest.raises(StreamLimitReached) as refused:
        store.open(_new(clock, "s-bbbbbbbb"), max_streams=1)
    assert refused.value.active == 1
    with pytest.raises(SessionNotFound):
        store.get("s-bbbbbbbb", ACCOUNT)
    with store._sessions() as db:
        assert db.scalar(select(func.count()).select_from(AccountLockRow)) == 1


def test_a_start_ends_and_revokes_the_accounts_silent_stream(
    store: SessionStore, clock: FakeClock
) -> None:
    store.open(_new(clock, "s-silent00"), max_streams=1)
    clock.advance(TIMEOUT_S + 1)
    store.open(_new(clock, "s-newone00"), max_streams=1)
    silent = store.get("s-silent00", ACCOUNT)
    assert silent.end_reason is EndReason.TIMED_OUT and not silent.active
    _, revoked = store.revocations(None, None, 10)
    assert [entry[0] for entry in revoked] == ["s-silent00"]


def test_a_heartbeat_records_position_and_keeps_the_last_rendition(
    store: SessionStore, clock: FakeClock
) -> None:
    store.open(_new(clock, "s-aaaaaaaa"), max_streams=1)
    clock.advance(3)
    first = store.heartbeat("s-aaaaaaaa", ACCOUNT, 12.5, "v720p")
    clock.advance(3)
    second = store.heartbeat("s-aaaaaaaa", ACCOUNT, 15.0, None)
    assert (first.position_s, first.rendition) == (12.5, "v720p")
    assert (second.position_s, second.rendition) == (15.0, "v720p")
    assert second.last_heartbeat_at == clock()
    assert second == store.get("s-aaaaaaaa", ACCOUNT)


def test_a_heartbeat_of_another_accounts_session_is_not_found(
    store: SessionStore, clock: FakeClock
) -> None:
    store.open(_new(clock, "s-aaaaaaaa"), max_streams=1)
    with pytest.raises(SessionNotFound):
        store.heartbeat("s-aaaaaaaa", ACCOUNT + 1, 1.0, None)
    with pytest.raises(SessionNotFound):
        store.heartbeat("s-missing0", ACCOUNT, 1.0, None)
    assert store.get("s-aaaaaaaa", ACCOUNT).position_s == 0.0


def test_a_heartbeat_after_a_stop_or_a_silence_says_the_session_ended(
    store: SessionStore, clock: FakeClock
) -> None:
    store.open(_new(clock, "s-stopped0"), max_streams=2)
    store.open(_new(clock, "s-silent00"), max_streams=2)
    store.stop("s-stopped0", ACCOUNT, 5.0, completed=False)
    with pytest.raises(SessionEnded) as stopped:
        store.heartbeat("s-stopped0", ACCOUNT, 9.0, None)
    assert stopped.value.reason is EndReason.STOPPED
    clock.advance(TIMEOUT_S + 1)
    with pytest.raises(SessionEnded) as silent:
        store.heartbeat("s-silent00", ACCOUNT, 9.0, None)
    assert silent.value.reason is EndReason.TIMED_OUT
    with store._sessions() as db:
        row = db.get(PlaySessionRow, "s-silent00")
        assert row is not None and row.position_s == 0.0  # the late beat wrote nothing


def test_a_started_login_is_ended_by_its_logout(store: SessionStore, clock: FakeClock) -> None:
    store.open(_new(clock, "s-aaaaaaaa", login="login-1"), max_streams=1)
    assert store.stop_login("login-1") == 1
    assert store.get("s-aaaaaaaa", ACCOUNT).end_reason is EndReason.STOPPED
