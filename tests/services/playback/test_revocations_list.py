"""Which sessions the playback service lists as revoked, and for how long."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import insert

from tests.services.playback.test_service import request, start
from tests.support.clock import FakeClock
from tests.support.playback import TIMEOUT_S
from vodstack.contracts.playback import login_ref
from vodstack.core.errors import Conflict
from vodstack.services.playback.models import RevocationRow
from vodstack.services.playback.repository import RevocationEntry, SessionStore
from vodstack.services.playback.service import PlaybackService


def _revoked(service: PlaybackService, since_s_ago: float | None = None) -> set[str]:
    since = None
    if since_s_ago is not None:
        since = service.revocations(None).as_of - timedelta(seconds=since_s_ago)
    return {session for session, _expires in service.revocations(since).sessions}


def test_stopped_and_completed_sessions_are_revoked(service: PlaybackService) -> None:
    playing = start(service, request()).play_session_id
    stopped = start(service, request()).play_session_id
    completed = start(service, request()).play_session_id
    service.stop(stopped, 7, 12.0, completed=False)
    service.stop(completed, 7, None, completed=True)

    assert _revoked(service) == {stopped, completed}
    assert playing not in _revoked(service)


def test_a_silent_stream_is_revoked_by_the_sweep(
    service: PlaybackService, clock: FakeClock
) -> None:
    silent = start(service, request()).play_session_id
    alive = start(service, request()).play_session_id
    clock.advance(TIMEOUT_S / 2)
    service.heartbeat(alive, 7, 10.0, None)
    clock.advance(TIMEOUT_S / 2 + 1)

    assert service.sweep() == 1
    assert _revoked(service) == {silent}
    assert service.session(silent, 7).end_reason == "timed_out"


def test_one_sweep_ends_every_silent_stream_and_its_login(
    service: PlaybackService, clock: FakeClock
) -> None:
    ref = login_ref("c" * 43)
    silent = {start(service, request()).play_session_id for _ in range(2)}
    with_login = request().model_copy(update={"login_ref": ref})
    silent.add(start(service, with_login).play_session_id)
    clock.advance(TIMEOUT_S / 2)
    alive = start(service, request()).play_session_id
    clock.advance(TIMEOUT_S / 2 + 1)

    assert service.sweep() == 3
    assert service.sweep() == 0
    assert _revoked(service) == silent
    assert {service.session(s, 7).end_reason for s in silent} == {"timed_out"}
    assert service.session(alive, 7).active
    assert service.stop_login(ref).stopped == 0  # nothing left to stop: the sweep ended it


def test_a_limited_sweep_ends_the_longest_silent_first_and_the_rest_next_time(
    service: PlaybackService, clock: FakeClock
) -> None:
    oldest = start(service, request()).play_session_id
    clock.advance(1)
    newer = {start(service, request()).play_session_id for _ in range(2)}
    alive = start(service, request()).play_session_id
    clock.advance(TIMEOUT_S / 2)
    service.heartbeat(alive, 7, 10.0, None)
    clock.advance(TIMEOUT_S / 2 + 1)

    assert service.sweep(limit=1) == 1
    assert _revoked(service) == {oldest}
    assert service.sweep(limit=1) + service.sweep(limit=1) == 2
    assert service.sweep(limit=1) == 0
    assert _revoked(service) == {oldest} | newer
    assert service.session(alive, 7).active


def test_logging_out_ends_only_that_logins_streams(service: PlaybackService) -> None:
    mine = start(service, request().model_copy(update={"login_ref": login_ref("a" * 43)}))
    theirs = start(service, request().model_copy(update={"login_ref": login_ref("b" * 43)}))

    assert service.stop_login(login_ref("a" * 43)).stopped == 1
    assert service.stop_login(login_ref("a" * 43)).stopped == 0
    assert _revoked(service) == {mine.play_session_id}
    assert service.session(theirs.play_session_id, 7).active


def test_since_returns_only_newer_revocations(service: PlaybackService, clock: FakeClock) -> None:
    first = start(service, request()).play_session_id
    service.stop(first, 7, None, completed=False)
    clock.advance(60)
    second = start(service, request()).play_session_id
    service.stop(second, 7, None, completed=False)

    assert _revoked(service, since_s_ago=10) == {second}
    assert _revoked(service) == {first, second}


def test_revocations_end_with_the_token_lifetime(
    service: PlaybackService, clock: FakeClock
) -> None:
    begun = start(service, request())
    service.stop(begun.play_session_id, 7, None, completed=False)
    clock.now = begun.token_expires_at + timedelta(seconds=1)
    service.sweep()
    assert _revoked(service) == set()


def test_a_heartbeat_after_the_timeout_revokes(service: PlaybackService, clock: FakeClock) -> None:
    late = start(service, request()).play_session_id
    clock.advance(TIMEOUT_S + 1)
    with pytest.raises(Conflict) as refused:
        service.heartbeat(late, 7, 1.0, None)
    assert refused.value.code == "session_ended"
    assert _revoked(service) == {late}


def test_the_listed_entries_are_the_typed_columns_values(
    store: SessionStore, clock: FakeClock
) -> None:
    """On SQLite the list is read as text and parsed (repository._sqlite_utc): the entries are
    exactly what the columns' type reads, on every engine (a whole second included)."""
    now = clock()
    whole = now.replace(microsecond=0)
    expected: list[RevocationEntry] = [  # (session, token expires at, revoked at)
        ("typed-0", whole + timedelta(hours=1), whole - timedelta(seconds=3)),
        ("typed-1", now + timedelta(minutes=5), now - timedelta(seconds=2, microseconds=1)),
        ("typed-2", whole + timedelta(hours=2, microseconds=7), now - timedelta(seconds=1)),
    ]
    rows = [
        {"play_session_id": sid, "token_expires_at": until, "revoked_at": at}
        for sid, until, at in expected
    ]
    with store._sessions.begin() as db:
        db.execute(insert(RevocationRow), rows)

    as_of, entries = store.revocations(None, None, 10)
    assert as_of == now
    assert entries == expected
    assert all(e[1].tzinfo is UTC and e[2].tzinfo is UTC for e in entries)
    assert (
        store.revocations(now - timedelta(seconds=2, microseconds=1), None, 10)[1] == (expected[1:])
    )
    after = (expected[0][2], expected[0][0])
    assert store.revocations(None, after, 1)[1] == expected[1:2]


def test_revocations_are_listed_by_number_each_once_and_a_refresh_renumbers(
    service: PlaybackService, clock: FakeClock
) -> None:
    first = service.revocations(None)
    assert first.cursor == 0 and first.sessions == []
    a, b = (start(service, request()).play_session_id for _ in range(2))
    service.stop(a, 7, None, completed=False)
    service.stop(b, 7, None, completed=False)
    page = service.revocations(None, after_seq=first.cursor)
    assert [s for s, _ in page.sessions] == [a, b] and page.next is None
    assert page.cursor == 2
    assert service.revocations(None, after_seq=page.cursor).sessions == []

    # Pages of one: `next` set while more follow, `cursor` where each ends.
    one = service.revocations(None, after_seq=0, limit=1)
    assert [s for s, _ in one.sessions] == [a] and one.next is not None and one.cursor == 1
    two = service.revocations(None, after_seq=one.cursor, limit=1)
    assert [s for s, _ in two.sessions] == [b] and two.next is None and two.cursor == 2

    # A listing by time says where numbering stands, read before its rows.
    assert service.revocations(None).cursor == 2
    silent = start(service, request()).play_session_id
    clock.advance(TIMEOUT_S + 1)
    assert service.sweep() == 1
    after_sweep = service.revocations(None, after_seq=2)
    assert [s for s, _ in after_sweep.sessions] == [silent] and after_sweep.cursor == 3
