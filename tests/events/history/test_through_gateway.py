"""Heartbeats sent through the gateway become the profile's continue-watching row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.events.stack import EventsStack, event, events_stack
from tests.support.gateway import make_settings
from tests.support.waiting import eventually
from vodstack.events.log import EventLog


@pytest.fixture
def stack(tmp_path: Path, event_log: EventLog) -> Iterator[EventsStack]:
    with events_stack(make_settings(tmp_path), event_log) as running:
        yield running


def test_heartbeats_become_continue_watching(stack: EventsStack) -> None:
    viewer, other = stack.viewer(), stack.viewer()
    batch = [
        event("play_start", title_id=5, position_s=0, duration_s=1000),
        event("heartbeat", title_id=5, position_s=300, duration_s=1000),
    ]
    assert viewer.post("/api/events", json={"events": batch}).json()["accepted"] == 2
    row = eventually(
        lambda: viewer.get("/api/history/continue").json(),
        timeout_s=30,
        message="the history consumer did not catch up",
    )
    assert [(p["title_id"], p["position_s"]) for p in row] == [(5, 300)]
    assert viewer.get("/api/history/titles/5").json()["position_s"] == 300
    assert viewer.get("/api/history/titles/6").status_code == 404
    assert other.get("/api/history/continue").json() == []  # each profile its own history
    viewers = stack.history.get("/v1/titles/5/viewers").json()
    assert [v["profile_id"] for v in viewers] == [viewer.first_profile_id()]
