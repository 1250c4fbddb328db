"""The recs store and watched sink on both engines (a SQLite file, a PostgreSQL database), and
a previous release's files (made with raw SQL) adopted with their rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from tests.support.postgres import pooled_database
from vodstack.contracts.events import EVENT, AnyEvent
from vodstack.services.recs.repository import RecsStore
from vodstack.services.recs.trainer import Trained
from vodstack.services.recs.watched import UNKNOWN_SHARE, WatchedSink

T0 = datetime(2026, 1, 1, tzinfo=UTC)
UrlOf = Callable[[str], str]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url_of(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UrlOf]:
    """A fresh database for `service`, on the parametrized engine."""
    with ExitStack() as stack:

        def url(service: str) -> str:
            if request.param == "sqlite":
                return f"sqlite:///{tmp_path / service}.sqlite"
            return stack.enter_context(pooled_database(service))

        yield url


def _event(kind: str, profile: int, title: int, minute: int, **fields: Any) -> AnyEvent:
    return EVENT.validate_python(
        {
            "type": kind,
            "event_id": uuid4().hex,
            "session_id": "session-0001",
            "profile_id": profile,
            "title_id": title,
            "at": (T0 + timedelta(minutes=minute)).isoformat(),
            "position_s": 60.0 * minute,
            **fields,
        }
    )


def test_watched_rows_merge_and_a_replay_changes_nothing(url_of: UrlOf) -> None:
    sink = WatchedSink(url_of("recs_watched"))
    try:
        block = [
            _event("heartbeat", 1, 10, 5, duration_s=1200.0, region="eu"),
            _event("heartbeat", 1, 10, 2),  # late: neither rewinds nor forgets the length
            _event("play_start", 1, 11, 30, startup_ms=500.0),
            _event("stop", 2, 10, 1, completed=True),
        ]
        assert sink.apply(block[:2]) + sink.apply(block[2:]) == 4
        assert sink.apply(block) == 0  # delivered again after a crash: absorbed
        assert sink.replays() == 4
        assert sink.count() == 3
        # Profile 1: title 11 last (no length known), then 10 at 300 s of 1200 s.
        assert sink.recent(1) == [(11, UNKNOWN_SHARE), (10, 0.25)]
        assert sink.recent(1, limit=1) == [(11, UNKNOWN_SHARE)]
        assert sink.recent(2) == [(10, 1.0)]
        data = sink.interactions()
        by_pair = {
            (int(p), int(t)): (float(f), float(w))
            for p, t, f, w in zip(
                data.user_ids, data.item_ids, data.timestamps, data.weights, strict=True
            )
        }
        first = (T0 + timedelta(minutes=2)).timestamp()  # the earliest event, however late
        assert by_pair[(1, 10)] == (first, 0.25)
        assert set(by_pair) == {(1, 10), (1, 11), (2, 10)}
    finally:
        sink.close()


def test_a_training_run_replaces_the_rows_whole(url_of: UrlOf) -> None:
    store = RecsStore(url_of("recs"))
    try:
        assert store.last_run() is None
        assert store.recommended(1) is None
        store.replace(Trained("ease", {1: [3, 2, 1], 2: [5]}, {3: [4, 5]}, 40, 1.5))
        assert store.recommended(1) == [3, 2, 1]
        assert store.neighbours(3) == [4, 5]
        at = store.replace(Trained("ease", {2: [7, 8]}, {}, 41, 2.0))
        assert store.recommended(1) is None  # not in the new run: gone, not stale
        assert (store.recommended(2), store.neighbours(3)) == ([7, 8], [])
        assert store.last_run() == ("ease", 1, 0, 41, 2.0, at)
    finally:
        store.close()


# What the release before made with raw SQL (SqliteSink + WatchedSink, RecsStore).
_PREVIOUS_WATCHED = """
CREATE TABLE applied (id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX applied_age ON applied (at);
CREATE TABLE replays (n INTEGER NOT NULL);
INSERT INTO replays VALUES (2);
CREATE TABLE watched (
    profile_id INTEGER NOT NULL, title_id INTEGER NOT NULL,
    position_s REAL NOT NULL, duration_s REAL, completed INTEGER NOT NULL,
    region TEXT, first_at REAL NOT NULL, last_at REAL NOT NULL,
    PRIMARY KEY (profile_id, title_id)
) WITHOUT ROWID;
INSERT INTO watched VALUES (1, 10, 600.0, 1200.0, 0, 'eu', 1767225600.0, 1767225900.0);
"""
_PREVIOUS_STORE = """
CREATE TABLE recommended (profile_id INTEGER PRIMARY KEY, titles BLOB NOT NULL);
CREATE TABLE neighbours (title_id INTEGER PRIMARY KEY, titles BLOB NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, model TEXT NOT NULL, profiles INTEGER NOT NULL,
    titles INTEGER NOT NULL, interactions INTEGER NOT NULL, seconds REAL NOT NULL,
    at TEXT NOT NULL
);
INSERT INTO recommended VALUES (1, X'0300000002000000');
INSERT INTO runs (model, profiles, titles, interactions, seconds, at)
    VALUES ('ease', 1, 0, 9, 0.5, '2026-01-01T00:00:00+00:00');
"""


def test_the_previous_release_files_are_adopted_with_their_rows(tmp_path: Path) -> None:
    (tmp_path / "recs").mkdir()
    for name, script in (("watched", _PREVIOUS_WATCHED), ("rows", _PREVIOUS_STORE)):
        db = sqlite3.connect(tmp_path / "recs" / f"{name}.sqlite")
        db.executescript(script)
        db.close()

    sink = WatchedSink(f"sqlite:///{tmp_path / 'recs' / 'watched.sqlite'}")
    store = RecsStore(f"sqlite:///{tmp_path / 'recs' / 'rows.sqlite'}")
    try:
        assert (sink.recent(1), sink.replays()) == ([(10, 0.5)], 2)
        sink.apply([_event("stop", 1, 10, 1, completed=True)])
        assert sink.recent(1) == [(10, 1.0)]
        assert store.recommended(1) == [3, 2]
        run = store.last_run()
        assert run is not None and run[:4] == ("ease", 1, 0, 9)
    finally:
        sink.close()
        store.close()
