"""The events service: per-event validation, idempotency by event id, back-pressure (429)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.events.stack import event
from tests.support.gateway import make_settings
from tests.support.ports import free_port
from tests.support.service_tokens import authorized
from vodstack.config.settings import EventsSettings, Settings
from vodstack.contracts.events import BatchResult, Outcome
from vodstack.events.log import EventLog
from vodstack.events.log.redis_streams import RedisEventLog
from vodstack.services.events.app import create_app
from vodstack.services.events.retention import retention

PROFILE = 42


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path, events=EventsSettings(max_lag=5, backoff_s=7, max_batch=50, lag_check_s=0)
    )


@pytest.fixture
def events(settings: Settings, event_log: EventLog) -> Iterator[TestClient]:
    with authorized(TestClient(create_app(settings, event_log=event_log)), settings, "events") as c:
        yield c


def _post(client: TestClient, *items: Any) -> Any:
    response = client.post("/v1/events", json={"events": list(items)})
    assert response.status_code == 200, response.text
    return response.json()


def _logged(event_log: EventLog) -> list[dict[str, Any]]:
    records = [r for p in range(event_log.partitions) for r in event_log.read(p, 0, 1000)]
    return [json.loads(r.payload) for r in records]


def test_a_valid_batch_lands_in_the_profiles_partition(
    events: TestClient, event_log: EventLog
) -> None:
    kinds = ["play_start", "heartbeat", "rebuffer_start", "rebuffer_end", "rendition_switch"]
    kinds += ["edge_switch", "error", "stop"]
    body = _post(events, *(event(kind, profile_id=PROFILE) for kind in kinds))
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (8, 0, 0)
    records = event_log.read(event_log.partition_of(str(PROFILE)), 0)
    assert [json.loads(r.payload)["type"] for r in records] == kinds
    assert {r.key for r in records} == {str(PROFILE)}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"position_s": -1}, "position_s"),
        ({"startup_ms": "soon"}, "startup_ms"),
        ({"event_id": "x"}, "event_id"),
        ({"type": "teleport"}, "type"),
        ({"rendition": "../../etc"}, "rendition"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_event_is_named_and_the_good_ones_are_kept(
    events: TestClient, event_log: EventLog, change: dict[str, Any], field: str
) -> None:
    good = [event("heartbeat", profile_id=PROFILE), event("heartbeat", profile_id=PROFILE)]
    bad = {**event("play_start", profile_id=PROFILE), **change}
    body = _post(events, good[0], bad, good[1])
    assert (body["accepted"], body["rejected"]) == (2, 1)
    result = body["results"][1]
    assert result["outcome"] == "rejected"
    assert field in [error["field"] for error in result["errors"]], result
    assert [e["event_id"] for e in _logged(event_log)] == [g["event_id"] for g in good]


def test_missing_fields_and_non_objects_are_rejected_alone(events: TestClient) -> None:
    incomplete = event("heartbeat", profile_id=PROFILE)
    del incomplete["position_s"]
    body = _post(events, incomplete, "not an event", event("stop"))
    assert [r["outcome"] for r in body["results"]] == ["rejected"] * 3
    assert body["results"][0]["errors"][0]["field"] == "position_s"
    assert body["results"][2]["errors"][0]["field"] == "profile_id"  # nobody stamped it


def test_the_same_batch_twice_counts_once(events: TestClient, event_log: EventLog) -> None:
    batch = [event("heartbeat", profile_id=PROFILE) for _ in range(5)]
    assert _post(events, *batch)["accepted"] == 5
    again = _post(events, *batch)
    assert (again["accepted"], again["duplicates"]) == (0, 5)
    assert {r["outcome"] for r in again["results"]} == {"duplicate"}
    assert len(_logged(event_log)) == 5


def test_the_retention_at_start_keeps_a_log_on_another_clock_deduplicating(
    events: TestClient, event_log: EventLog
) -> None:
    """The log's clock (the fake one here, 1000 s after the epoch) decides what is old, not the
    wall clock: the trim the app runs at start once raced the second batch and emptied the
    dedup window, so the same batch counted twice."""
    batch = [event("heartbeat", profile_id=PROFILE) for _ in range(3)]
    assert _post(events, *batch)["accepted"] == 3

    async def trim_once() -> None:
        async with retention(event_log, retention_s=3600, interval_s=3600):
            await asyncio.sleep(0.2)  # the first step runs at once, in a thread

    asyncio.run(trim_once())
    assert _post(events, *batch)["duplicates"] == 3
    assert len(_logged(event_log)) == 3


def test_an_event_id_is_per_profile(events: TestClient, event_log: EventLog) -> None:
    mine = event("heartbeat", profile_id=PROFILE)
    theirs = {**mine, "profile_id": PROFILE + 1}
    assert _post(events, mine)["accepted"] == 1
    assert _post(events, theirs)["accepted"] == 1  # another profile cannot shadow my events


def test_lagging_consumers_answer_429_with_retry_after(
    events: TestClient, event_log: EventLog
) -> None:
    assert _post(events, *(event(profile_id=PROFILE) for _ in range(6)))["accepted"] == 6
    refused = events.post("/v1/events", json={"events": [event(profile_id=PROFILE)]})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "7"
    assert refused.json()["error"]["code"] == "consumers_lagging"
    lags = {lag["group"]: lag["lag"] for lag in events.get("/v1/events/lag").json()}
    assert lags == {"history": 6, "popularity": 6, "telemetry": 6}


def test_batches_are_bounded(events: TestClient) -> None:
    response = events.post("/v1/events", json={"events": [event()] * 51})
    assert response.status_code == 422
    assert events.post("/v1/events", json={"events": []}).status_code == 422


def test_the_service_answers_only_service_tokens(settings: Settings, event_log: EventLog) -> None:
    with TestClient(create_app(settings, event_log=event_log)) as anonymous:
        response = anonymous.post("/v1/events", json={"events": [event(profile_id=PROFILE)]})
    assert response.status_code == 401
    assert event_log.end_offset(event_log.partition_of(str(PROFILE))) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "request"),
        (b'{"events": "heartbeat"}', "events"),
        (b'{"batch": []}', "events"),
    ],
)
def test_a_body_that_is_no_batch_is_422_with_the_field(
    events: TestClient, body: bytes, field: str
) -> None:
    response = events.post("/v1/events", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in [detail["field"] for detail in error["details"]], error


def test_the_answer_is_a_batch_result(events: TestClient) -> None:
    good, bad = event(profile_id=PROFILE), {**event(profile_id=PROFILE), "position_s": -1}
    answer = BatchResult.model_validate(_post(events, good, bad, good))
    assert [r.outcome for r in answer.results] == [
        Outcome.ACCEPTED, Outcome.REJECTED, Outcome.DUPLICATE
    ]  # fmt: skip
    assert (answer.accepted, answer.duplicates, answer.rejected) == (1, 1, 1)
    assert answer.results[1].errors[0].field == "position_s"


def test_the_batch_schema_is_published(events: TestClient) -> None:
    spec = events.get("/openapi.json").json()
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/EventBatch"}
    assert {"EventBatch", "PlayStartEvent", "BatchResult"} <= set(spec["components"]["schemas"])


def test_an_unreachable_log_is_503_not_500(settings: Settings) -> None:
    # A Redis log on a port nobody listens on: the store is down.
    down = RedisEventLog(f"redis://127.0.0.1:{free_port()}/0", 8, prefix="vodstack-test:down")
    try:
        with authorized(
            TestClient(create_app(settings, event_log=down)), settings, "events"
        ) as client:
            response = client.post("/v1/events", json={"events": [event(profile_id=PROFILE)]})
            assert client.get("/v1/events/lag").status_code == 503
    finally:
        down.close()
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "log_unavailable"
    assert "send them again later" in error["message"]
