"""Continue watching is replayed by the answer cache until a shard is written, by any instance
of the service: a heartbeat another process applied is seen by the next read, never the look-
aside cache's older copy; a replay is the same status, headers and bytes as the app's answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.events.stack import event
from tests.services.test_replay_path import three_ways
from tests.support.replay import Watched
from tests.support.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings, load_settings
from vodstack.contracts.events import EVENT, AnyEvent
from vodstack.core.replay_path import ServiceApp
from vodstack.services.history.app import create_app, open_history
from vodstack.services.history.repository import ShardedHistory

T0 = datetime(2026, 1, 1, tzinfo=UTC)
URL = "/v1/profiles/7/continue"


def _beat(profile: int, title: int, position: float, minute: int) -> AnyEvent:
    fields = {"profile_id": profile, "title_id": title, "position_s": position}
    body = event("heartbeat", **fields, duration_s=1000.0)
    return EVENT.validate_python({**body, "at": (T0 + timedelta(minutes=minute)).isoformat()})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_secrets(load_settings(data_dir=tmp_path))


@pytest.fixture
def service(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Watched, ShardedHistory]]:
    app = create_app(settings)
    assert isinstance(app, ServiceApp)
    with TestClient(app) as raw:
        history: ShardedHistory = raw.app.state.history  # type: ignore[attr-defined]
        yield authorized(raw, settings, "history"), Watched(app, monkeypatch), history


def _positions(client: TestClient) -> list[float]:
    response = client.get(URL)
    assert response.status_code == 200, response.text
    return [row["position_s"] for row in response.json()]


def test_a_replayed_continue_row_is_the_apps_answer(
    service: tuple[TestClient, Watched, ShardedHistory],
) -> None:
    client, watched, history = service
    history.apply([_beat(7, 10, 120, 0), _beat(7, 11, 240, 1)])
    app_answer, replayed, stack_replayed = three_ways(client, watched, URL)
    assert app_answer[0] == 200 and b'"position_s":240.0' in app_answer[2]
    assert replayed == stack_replayed == app_answer
    assert watched.answered == [False, True]


def test_a_heartbeat_applied_by_another_instance_is_seen_by_the_next_read(
    settings: Settings, service: tuple[TestClient, Watched, ShardedHistory]
) -> None:
    client, watched, history = service
    history.apply([_beat(7, 10, 120, 0)])
    assert _positions(client) == _positions(client) == [120]
    assert watched.answered == [False, True]
    # The look-aside cache holds 120 too (filled while the version could not be read, say),
    # and a write by another process on the same shards never reaches it: only the shards'
    # data version tells, and the fill must not take the look-aside's copy.
    assert [p.position_s for p in history.continue_watching(7)] == [120]
    other = open_history(settings)
    try:
        other.apply([_beat(7, 10, 480, 2)])
    finally:
        other.close()
    stale = history.cached_continue(7)
    assert stale is not None and stale[0].position_s == 120
    assert _positions(client) == [480]
    assert _positions(client) == [480]
    assert watched.answered[-2:] == [False, True]


def test_a_heartbeat_applied_here_is_seen_by_the_next_read(
    service: tuple[TestClient, Watched, ShardedHistory],
) -> None:
    client, watched, history = service
    history.apply([_beat(7, 10, 120, 0)])
    assert _positions(client) == _positions(client) == [120]
    history.apply([_beat(8, 10, 60, 1)])  # another profile, same shards' version
    history.apply([_beat(7, 11, 30, 2)])
    assert _positions(client) == [30, 120]
    assert watched.answered == [False, True, False]
