"""The real platform (`vodstack up`, every service its own process): a viewer's events reach
continue watching through gateway -> events -> log -> history, and the row survives kill -9 of
the history and events services (the supervisor restarts them)."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.events.stack import event
from tests.support.waiting import eventually
from vodstack.supervisor.launcher import RunningPlatform, gateway_client, running_platform


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    with running_platform(tmp_path_factory.mktemp("events-platform")) as running:
        yield running


def _eventually(read: Callable[[], Any]) -> Any:
    """A whole platform on a shared machine: a generous deadline, and a gateway that is
    restarting (connection refused) counts as "not yet"."""
    return eventually(read, timeout_s=60, interval_s=0.2, tolerate=(httpx.HTTPError,))


def _viewer(platform: RunningPlatform, client: httpx.Client) -> None:
    logins = json.loads((platform.data_dir / "secrets" / "demo_logins.json").read_text())
    body = {"email": logins["viewer_email"], "password": logins["viewer_password"]}
    assert client.post("/api/auth/login", json=body).status_code == 200
    profile = client.get("/api/profiles").json()[0]["id"]
    assert client.post(f"/api/profiles/{profile}/select", json={}).status_code == 200


def _kill_and_wait(platform: RunningPlatform, name: str) -> None:
    before = next(s for s in platform.status().services if s.name == name)
    assert before.pid is not None
    os.kill(before.pid, signal.SIGKILL)

    def restarted() -> bool:
        now = next(s for s in platform.status().services if s.name == name)
        return now.restarts > before.restarts and now.state == "healthy"

    _eventually(restarted)


@pytest.mark.slow
def test_continue_watching_survives_kill_9_of_history_and_events(
    platform: RunningPlatform,
) -> None:
    with gateway_client(platform) as client:
        _viewer(platform, client)
        batch = [event("play_start", title_id=1, position_s=0), event("heartbeat", title_id=1)]
        answer = client.post("/api/events", json={"events": batch})
        assert answer.status_code == 200 and answer.json()["accepted"] == 2, answer.text
        row = _eventually(lambda: client.get("/api/history/continue").json())
        assert [(p["title_id"], p["position_s"]) for p in row] == [(1, 12.5)]

        _kill_and_wait(platform, "history")
        _kill_and_wait(platform, "events")
        assert client.get("/api/history/continue").json() == row
        later = event("heartbeat", title_id=1, position_s=99.0)
        assert client.post("/api/events", json={"events": [later]}).json()["accepted"] == 1
        _eventually(lambda: client.get("/api/history/continue").json()[0]["position_s"] == 99.0)
