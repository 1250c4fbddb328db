"""History's change feed: every applied block lists its profiles; a reader's cursor misses
nothing (a cursor older than what is kept, from an earlier process or from nowhere is answered
`complete=False`); the feed is served on `GET /v1/profiles/changes`."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.events.stack import event
from tests.support.gateway import make_settings
from tests.support.service_tokens import authorized
from vodstack.contracts.common import Changes
from vodstack.contracts.events import EVENT
from vodstack.events.log import EventLog
from vodstack.services.history.app import create_app
from vodstack.services.history.cache import LookAsideCache
from vodstack.services.history.changes import ViewingChanges
from vodstack.services.history.repository import ShardedHistory, ShardLayout


def test_a_reader_gets_each_changed_profile_once_after_its_cursor() -> None:
    feed = ViewingChanges(clock=lambda: 1.0)
    first = feed.read(0)
    assert not first.complete and first.ids == []  # never read: forget everything, then follow
    feed.wrote([7, 8])
    feed.wrote([7])
    page = feed.read(first.cursor)
    assert page.complete and page.ids == [7, 8]
    assert feed.read(page.cursor) == Changes(cursor=page.cursor, ids=[])


def test_a_cursor_the_feed_cannot_answer_for_forgets_everything() -> None:
    feed = ViewingChanges(max_kept=3, clock=lambda: 1.0)
    start = feed.read(0).cursor
    feed.wrote([1, 2, 3, 4])  # one more than kept: the reader at `start` missed profile 1
    assert not feed.read(start).complete
    assert feed.read(start + 1).complete
    assert not feed.read(feed.read(start + 1).cursor + 1).complete  # ahead of the newest
    assert not feed.read(start + 1, limit=2).complete  # more than one page behind


def test_a_restarted_feed_does_not_answer_for_the_cursor_of_the_process_before() -> None:
    before = ViewingChanges(clock=lambda: 1000.0)
    before.wrote(range(50))
    cursor = before.read(0).cursor
    after = ViewingChanges(clock=lambda: 1001.0)  # a second later: a new process
    assert not after.read(cursor).complete


def test_applied_events_list_their_profiles(tmp_path: Path) -> None:
    history = ShardedHistory(ShardLayout(tmp_path, 2, 16, 0.95), LookAsideCache(ttl_s=60))
    try:
        cursor = history.changes.read(0).cursor
        beats = [
            EVENT.validate_python(event("heartbeat", profile_id=p, title_id=5)) for p in (3, 4, 3)
        ]
        history.apply(beats)
        assert history.changes.read(cursor).ids == [3, 4]
    finally:
        history.close()


def test_the_feed_route(tmp_path: Path, event_log: EventLog) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings, event_log=event_log)
    with authorized(TestClient(app), settings, "history") as client:
        first = Changes.model_validate(client.get("/v1/profiles/changes").json())
        assert not first.complete
        app.state.history.apply([EVENT.validate_python(event("heartbeat", profile_id=9))])
        page = client.get("/v1/profiles/changes", params={"after": first.cursor})
        assert page.status_code == 200
        assert Changes.model_validate(page.json()) == Changes(cursor=first.cursor + 1, ids=[9])
        bad = client.get("/v1/profiles/changes", params={"after": -1})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
        assert client.get("/v1/profiles/changes").status_code == 200


def test_the_watched_snapshot_lists_every_profile_with_a_position_as_of_the_feeds_cursor(
    tmp_path: Path, event_log: EventLog
) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings, event_log=event_log)
    with authorized(TestClient(app), settings, "history") as client:
        empty = client.get("/v1/profiles/watched").json()
        assert empty["profiles"] == [] and empty["complete"]
        beats = [event("heartbeat", profile_id=p, title_id=t) for p, t in ((9, 1), (4, 1), (9, 2))]
        app.state.history.apply([EVENT.validate_python(beat) for beat in beats])
        snapshot = client.get("/v1/profiles/watched").json()
        assert snapshot["profiles"] == [4, 9], "every shard's, each once"
        assert snapshot["cursor"] == app.state.history.changes.newest()
        app.state.history.apply([EVENT.validate_python(event("heartbeat", profile_id=5))])
        after = client.get("/v1/profiles/changes", params={"after": snapshot["cursor"]}).json()
        assert after["ids"] == [5], "what came after the snapshot: in the feed"
        too_many = client.get("/v1/profiles/watched", params={"limit": 2}).json()
        assert too_many["profiles"] == [] and not too_many["complete"]
