"""`POST /api/events` through the gateway: the signed-in profile is stamped, CSRF applies, the
batch's answer is per event, and the schemas are in the gateway's OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.events.stack import EventsStack, event, events_stack
from tests.support.gateway import make_settings
from vodstack.config.settings import EventsSettings
from vodstack.events.log import EventLog


@pytest.fixture
def stack(tmp_path: Path, event_log: EventLog) -> Iterator[EventsStack]:
    settings = make_settings(tmp_path, events=EventsSettings(max_lag=3, lag_check_s=0))
    with events_stack(settings, event_log) as running:
        yield running


def test_events_carry_the_signed_in_profile(stack: EventsStack, event_log: EventLog) -> None:
    viewer = stack.viewer()
    profile = viewer.first_profile_id()
    spoofed = event("heartbeat", profile_id=profile + 1000, region="moon")
    response = viewer.post("/api/events", json={"events": [spoofed, event("play_start")]})
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    records = event_log.read(event_log.partition_of(str(profile)), 0)
    logged = [json.loads(r.payload) for r in records]
    assert {e["profile_id"] for e in logged} == {profile}
    assert "moon" not in {e["region"] for e in logged}  # the gateway decides the region


def test_a_bad_event_is_answered_by_field_through_the_gateway(stack: EventsStack) -> None:
    viewer = stack.viewer()
    bad = event("rebuffer_end", stall_ms=-5)
    body = viewer.post("/api/events", json={"events": [event(), bad]}).json()
    assert [r["outcome"] for r in body["results"]] == ["accepted", "rejected"]
    assert body["results"][1]["errors"][0]["field"] == "stall_ms"


def test_events_need_a_session_a_profile_and_csrf(stack: EventsStack) -> None:
    batch = {"events": [event()]}
    assert stack.visitor().post("/api/events", json=batch).status_code == 401
    no_profile = stack.visitor()
    no_profile.sign_up()
    assert no_profile.post("/api/events", json=batch).status_code == 409
    viewer = stack.viewer()
    assert viewer.post("/api/events", json=batch, csrf=False).status_code == 403


def test_429_and_retry_after_reach_the_player(stack: EventsStack) -> None:
    viewer = stack.viewer()
    assert (
        viewer.post("/api/events", json={"events": [event() for _ in range(4)]}).status_code == 200
    )
    refused = viewer.post("/api/events", json={"events": [event()]})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "5"


def test_the_event_schemas_are_published(stack: EventsStack) -> None:
    spec = stack.client.get("/api/openapi.json").json()
    assert "/api/events" in spec["paths"]
    schemas = spec["components"]["schemas"]
    for name in ("PlayStartEvent", "RebufferEndEvent", "ErrorEvent", "BatchResult"):
        assert name in schemas
    assert "startup_ms" in schemas["PlayStartEvent"]["properties"]


def test_a_beacon_is_a_form_with_the_csrf_field(stack: EventsStack, event_log: EventLog) -> None:
    viewer = stack.viewer()
    batch = json.dumps({"events": [event("stop", completed=False)]})
    form = {"events": batch, "csrf_token": viewer.csrf_token()}
    answer = viewer.post("/api/events/beacon", data=form, csrf=False)
    assert answer.status_code == 200, answer.text
    assert answer.json()["accepted"] == 1
    forged = viewer.post("/api/events/beacon", data={"events": batch}, csrf=False)
    assert forged.status_code == 403  # no token: another site cannot beacon for you
    bad = {"events": "not json", "csrf_token": viewer.csrf_token()}
    assert viewer.post("/api/events/beacon", data=bad, csrf=False).status_code == 422
