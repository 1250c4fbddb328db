"""The sharded history store: positions, watched flags, continue watching, the look-aside
cache, scatter-gather, idempotency and surviving a restart."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.events.stack import event
from vodstack.contracts.events import EVENT, AnyEvent
from vodstack.services.history.cache import LookAsideCache
from vodstack.services.history.repository import ShardedHistory, ShardLayout

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ShardTemplate = Callable[[str], str | None]  # the `shard_template` fixture (conftest.py)


def _event(
    kind: str, profile: int, title: int, position: float, minute: int, **more: Any
) -> AnyEvent:
    fields = {
        "profile_id": profile,
        "title_id": title,
        "position_s": position,
        "duration_s": 1000.0,
    }
    return EVENT.validate_python(
        {**event(kind, **fields, **more), "at": (T0 + timedelta(minutes=minute)).isoformat()}
    )


def _open(root: Path, template: str | None = None) -> ShardedHistory:
    layout = ShardLayout(root, 4, 64, 0.95, url_template=template)
    return ShardedHistory(layout, LookAsideCache(ttl_s=60))


@pytest.fixture
def history(tmp_path: Path, shard_template: ShardTemplate) -> Iterator[ShardedHistory]:
    store = _open(tmp_path, shard_template("h"))
    yield store
    store.close()


def test_continue_watching_is_started_unfinished_titles_newest_first(
    history: ShardedHistory,
) -> None:
    history.apply(
        [
            _event("heartbeat", 1, 10, 100, 0),
            _event("heartbeat", 1, 11, 200, 1),
            _event("stop", 1, 12, 300, 2, completed=True),
            _event("heartbeat", 1, 13, 960, 3),  # past 95%: watched
        ]
    )
    row = history.continue_watching(1)
    assert [(p.title_id, p.position_s) for p in row] == [(11, 200), (10, 100)]
    assert row[0].progress == 0.2
    assert history.resume(1, 12) is not None and history.resume(1, 12).watched  # type: ignore[union-attr]
    assert history.resume(1, 99) is None


def test_a_late_event_never_rewinds_the_resume_point(history: ShardedHistory) -> None:
    history.apply([_event("heartbeat", 1, 10, 500, 5)])
    history.apply([_event("heartbeat", 1, 10, 100, 1)])  # a retried old batch
    assert history.resume(1, 10).position_s == 500  # type: ignore[union-attr]


def test_replays_are_absorbed(history: ShardedHistory) -> None:
    events = [_event("heartbeat", p, 10, 50, 0) for p in range(1, 30)]
    assert history.apply(events) == 29
    assert history.apply(events) == 0
    assert history.count() == 29 and history.replays() == 29


def test_reads_go_through_the_cache_and_writes_invalidate_it(history: ShardedHistory) -> None:
    history.apply([_event("heartbeat", 7, 10, 100, 0)])
    history.continue_watching(7)
    history.continue_watching(7)
    assert (history.cache.hits, history.cache.misses) == (1, 1)
    history.apply([_event("heartbeat", 7, 10, 150, 1)])
    assert history.cached_continue(7) is None  # the route on the loop must ask the shards
    assert history.continue_watching(7)[0].position_s == 150  # not the cached 100
    cached = history.cached_continue(7)
    assert cached is not None and cached[0].position_s == 150


def test_who_watched_a_title_gathers_every_shard(history: ShardedHistory) -> None:
    profiles = range(1, 41)
    history.apply([_event("heartbeat", p, 77, 10, p) for p in profiles])
    history.apply([_event("heartbeat", 1, 78, 10, 0)])
    holders = {history.ring.shard_for(p) for p in profiles}
    assert len(holders) == 4  # the profiles really are spread over the shards
    viewers = history.viewers(77, limit=100)
    assert [v.profile_id for v in viewers] == list(reversed(profiles))
    assert [v.profile_id for v in history.viewers(77, limit=3)] == [40, 39, 38]


def test_history_survives_a_restart(tmp_path: Path, shard_template: ShardTemplate) -> None:
    first = _open(tmp_path, shard_template("h"))
    first.apply([_event("heartbeat", 3, 10, 420, 0)])
    first.close()
    second = _open(tmp_path, shard_template("h"))
    assert second.resume(3, 10).position_s == 420  # type: ignore[union-attr]
    second.close()


def test_one_block_merges_like_events_one_at_a_time(
    tmp_path: Path, shard_template: ShardTemplate
) -> None:
    events = [
        _event("heartbeat", 1, 10, 300, 3),
        _event("heartbeat", 1, 10, 100, 1),  # older, later in the block: does not rewind
        _event("stop", 2, 10, 50, 2, completed=True),
        _event("heartbeat", 2, 10, 60, 4),  # watched stays
        _event("play_start", 3, 11, 0, 0, startup_ms=400),
        _event("heartbeat", 3, 11, 20, 1),
    ]
    block = _open(tmp_path / "block", shard_template("block"))
    one_by_one = _open(tmp_path / "one", shard_template("one"))
    assert block.apply(events) == 6
    for item in events:
        one_by_one.apply([item])
    try:
        assert block.current.rows() == one_by_one.current.rows()
        assert block.resume(1, 10).position_s == 300  # type: ignore[union-attr]
        assert block.resume(2, 10).watched  # type: ignore[union-attr]
    finally:
        block.close()
        one_by_one.close()


# The shard schema the release before migrations made with raw SQL (events/consumers/sink.py,
# since removed, and services/history/shard.py of that release).
_PREVIOUS_RELEASE_SHARD = """
CREATE TABLE applied (id TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
CREATE INDEX applied_age ON applied (at);
CREATE TABLE replays (n INTEGER NOT NULL);
INSERT INTO replays VALUES (3);
CREATE TABLE positions (
    profile_id INTEGER NOT NULL, title_id INTEGER NOT NULL, position_s REAL NOT NULL,
    duration_s REAL, watched INTEGER NOT NULL, updated_at REAL NOT NULL,
    PRIMARY KEY (profile_id, title_id)
) WITHOUT ROWID;
CREATE INDEX positions_title ON positions (title_id);
INSERT INTO applied VALUES ('5:seen', 1.0);
"""


def test_a_previous_release_shard_file_is_adopted_with_its_rows(tmp_path: Path) -> None:
    layout = ShardLayout(tmp_path, 1, 64, 0.95)
    path = tmp_path / "g0" / "shard-0.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as db:
        db.executescript(_PREVIOUS_RELEASE_SHARD)
        db.execute("INSERT INTO positions VALUES (5, 10, 420.0, 1000.0, 0, 1.0)")
    history = ShardedHistory(layout, LookAsideCache(ttl_s=60))
    try:
        assert history.resume(5, 10).position_s == 420  # type: ignore[union-attr]
        assert history.replays() == 3
        seen = _event("heartbeat", 5, 10, 500, 1)
        assert history.apply([seen.model_copy(update={"event_id": "seen"})]) == 0  # applied before
        assert history.apply([_event("heartbeat", 5, 10, 500, 1)]) == 1
        assert history.resume(5, 10).position_s == 500  # type: ignore[union-attr]
    finally:
        history.close()
