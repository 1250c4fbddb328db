"""The events service's lag and the telemetry service's popularity are replayed by the answer
cache: the lag no longer than the gate keeps it (`events.lag_check_s`, by the gate's clock),
popularity until the popularity consumer commits new counts; a replay is the app's answer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.events.stack import event
from tests.services.test_replay_path import three_ways
from tests.support.gateway import make_settings
from tests.support.replay import Watched
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.config.settings import EventsSettings
from vodstack.contracts.events import EVENT
from vodstack.core.replay_path import ServiceApp
from vodstack.events.log import EventLog
from vodstack.services.events import app as events_app
from vodstack.services.telemetry.app import create_app as create_telemetry

PROFILE = 5


def _lags(client: TestClient) -> dict[str, int]:
    response = client.get("/v1/events/lag")
    assert response.status_code == 200, response.text
    return {row["group"]: row["lag"] for row in response.json()}


def test_the_lag_is_replayed_no_longer_than_the_gate_keeps_it(
    tmp_path: Path, event_log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(events_app, "LAG_CLOCK", lambda: now[0])
    settings = make_settings(tmp_path, events=EventsSettings(lag_check_s=2.0))
    app = events_app.create_app(settings, event_log=event_log)
    assert isinstance(app, ServiceApp)
    with authorized(TestClient(app), settings, "events") as client:
        watched = Watched(app, monkeypatch)
        app_answer, replayed, stack_replayed = three_ways(client, watched, "/v1/events/lag")
        assert app_answer[0] == 200 and replayed == stack_replayed == app_answer
        assert watched.answered == [False, True]
        before = _lags(client)
        assert set(before.values()) == {0}
        batch = {"events": [event(profile_id=PROFILE) for _ in range(3)]}
        assert client.post("/v1/events", json=batch).json()["accepted"] == 3
        now[0] += 1.9  # the gate's bound: the lag read at 1000.0 still stands
        assert _lags(client) == before
        assert watched.answered[-1] is True
        now[0] += 0.1
        assert set(_lags(client).values()) == {3}
        assert watched.answered[-1] is False


def test_popularity_is_replayed_until_new_plays_are_counted(
    tmp_path: Path, event_log: EventLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def play() -> None:
        item = event("play_start", startup_ms=300, region="eu", abr="bola")
        parsed = EVENT.validate_python({**item, "profile_id": PROFILE, "at": datetime.now(UTC)})
        event_log.append(str(PROFILE), parsed.model_dump_json().encode())

    def plays(client: TestClient) -> int:
        response = client.get("/v1/popularity")
        assert response.status_code == 200, response.text
        return sum(p["plays"] for p in response.json())

    settings = make_settings(tmp_path)
    app = create_telemetry(settings, event_log=event_log)
    assert isinstance(app, ServiceApp)
    play()
    with authorized(TestClient(app), settings, "telemetry") as client:
        eventually(lambda: plays(client) == 1, timeout_s=30, message="no play counted")
        watched = Watched(app, monkeypatch)
        app_answer, replayed, stack_replayed = three_ways(client, watched, "/v1/popularity")
        assert app_answer[0] == 200 and replayed == stack_replayed == app_answer
        assert True in watched.answered
        play()
        # The consumer commits the count in its own thread: the next read after that sees it.
        eventually(lambda: plays(client) == 2, timeout_s=30, message="the play never showed")
        answered = len(watched.answered)
        assert plays(client) == plays(client) == 2
        assert watched.answered[answered:] == [True, True]
