"""The headless player reports its playback as events: QoE events and heartbeats reach the log
(and history) through the gateway; while the events service is down they wait in the player
and go out, once each, when it is back; a 429's Retry-After is honoured."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.player.headless.test_gateway_outage import Outage
from tests.player.headless.test_player_inprocess import FakeEdges, publish_playable
from tests.services.playback.stack import Platform, RecordingEdges
from tests.support.gateway import PASSWORD, cheap_passwords, make_settings, new_email
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.events.log import EventLog
from vodstack.gateway.app import create_app as create_gateway_app
from vodstack.player.headless.events import EventReporter
from vodstack.player.headless.gateway import GatewaySession
from vodstack.player.headless.player import HeadlessPlayer, PlayOptions
from vodstack.player.traces import NetworkTrace
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.events.app import create_app as create_events_app
from vodstack.services.history.app import create_app as create_history_app
from vodstack.services.playback.app import create_app as create_playback_app


@pytest.fixture
def stack(tmp_path: Path, event_log: EventLog) -> Iterator[tuple[Platform, Outage, TestClient]]:
    settings = make_settings(tmp_path)
    accounts = create_accounts_app(settings, passwords=cheap_passwords())
    catalog = create_catalog_app(settings)
    playback = create_playback_app(
        settings, edges=RecordingEdges(), catalog_transport=httpx.ASGITransport(app=catalog)
    )
    events = create_events_app(settings, event_log=event_log)
    history = create_history_app(settings, event_log=event_log)
    outage = Outage(httpx.ASGITransport(app=events))
    transports: dict[str, httpx.AsyncBaseTransport] = {
        "accounts": httpx.ASGITransport(app=accounts),
        "catalog": httpx.ASGITransport(app=catalog),
        "playback": httpx.ASGITransport(app=playback),
        "events": outage,
        "history": httpx.ASGITransport(app=history),
    }
    with (
        TestClient(accounts),
        authorized(TestClient(catalog), settings, "catalog") as catalog_client,
        TestClient(playback),
        TestClient(events),
        authorized(TestClient(history), settings, "history") as history_client,
        TestClient(create_gateway_app(settings, transports=transports)) as client,
    ):
        objects = settings.data_dir / "objects"
        platform = Platform(client, catalog_client, RecordingEdges(), objects, settings, playback)
        yield platform, outage, history_client


def _viewer(platform: Platform) -> GatewaySession:
    session = GatewaySession("http://testserver", client=platform.client)
    body = {"email": new_email("premium"), "password": PASSWORD, "plan": "premium"}
    session.post("/api/auth/signup", body)
    session.choose_profile()
    return session


def _player(platform: Platform, session: GatewaySession, **options: Any) -> HeadlessPlayer:
    media = httpx.Client(transport=httpx.MockTransport(FakeEdges(platform.objects).handle))
    player = HeadlessPlayer(session, PlayOptions(**options), media_client=media)
    player.events = EventReporter(session, backoff_s=0.01)
    return player


def _logged(event_log: EventLog) -> list[dict[str, Any]]:
    records = [r for p in range(event_log.partitions) for r in event_log.read(p, 0, 10_000)]
    return [json.loads(r.payload) for r in sorted(records, key=lambda r: r.appended_at)]


def test_a_play_is_reported_as_events(
    stack: tuple[Platform, Outage, TestClient], event_log: EventLog
) -> None:
    platform, _, history = stack
    title_id = platform.title(publisher=publish_playable)
    session = _viewer(platform)
    slow = NetworkTrace("slow", (0.0, 1000.0), (0.25, 0.25))
    # A short buffer makes the player idle between segments: session time passes, heartbeats.
    player = _player(platform, session, trace=slow, max_buffer_s=8.0)
    report = player.play(title_id)
    player.close()

    logged = _logged(event_log)
    kinds = [e["type"] for e in logged]
    assert kinds[0] == "play_start" and kinds[-1] == "stop"
    assert kinds.count("heartbeat") >= 1
    assert kinds.count("rebuffer_end") == report.rebuffer_count
    start, stop = logged[0], logged[-1]
    assert start["startup_ms"] == pytest.approx(report.startup_s * 1000)
    assert stop["completed"] is True and stop["position_s"] == pytest.approx(report.played_s)
    assert {e["title_id"] for e in logged} == {title_id}
    assert {e["abr"] for e in logged} == {report.abr}
    profile = logged[0]["profile_id"]

    def watched() -> bool:
        answer = history.get(f"/v1/profiles/{profile}/titles/{title_id}")
        return answer.status_code == 200 and bool(answer.json()["watched"])

    eventually(watched, timeout_s=30, message="history never saw the completed play")


def test_events_wait_out_an_outage_and_go_once(
    stack: tuple[Platform, Outage, TestClient], event_log: EventLog
) -> None:
    platform, outage, _ = stack
    title_id = platform.title(publisher=publish_playable)
    session = _viewer(platform)
    player = _player(platform, session)
    reporter = player.events
    assert reporter is not None
    outage.refuse = 10**6  # the events service is down for the whole play
    report = player.play(title_id)
    assert report.played_s > 0 and report.errors == []  # playback never noticed
    assert reporter.queued >= 2 and _logged(event_log) == []  # at least the start and the stop
    assert any("retrying" in problem for problem in reporter.problems)

    outage.refuse = 0
    time.sleep(0.05)  # past the reporter's (shortened) backoff
    assert reporter.flush()
    player.close()
    logged = _logged(event_log)
    assert len(logged) == reporter.sent and reporter.queued == 0
    assert len({e["event_id"] for e in logged}) == len(logged)  # each exactly once


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_429_is_retried_after_its_retry_after() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"}, json=_lagging())])
    posted: list[int] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/healthz":
            return httpx.Response(200, headers={"set-cookie": "vodstack_csrf=t; Path=/"})
        posted.append(len(json.loads(request.content)["events"]))
        result = {"accepted": posted[-1], "duplicates": 0, "rejected": 0, "results": []}
        return next(answers, httpx.Response(200, json=result))

    client = httpx.Client(base_url="http://gw", transport=httpx.MockTransport(gateway))
    clock = FakeClock()
    reporter = EventReporter(GatewaySession("http://gw", client=client), clock=clock)
    reporter.record("heartbeat", title_id=1)
    assert not reporter.flush() and posted == [1]
    clock.now = 2.9
    assert not reporter.flush() and posted == [1]  # still inside Retry-After: not even tried
    clock.now = 3.0
    assert reporter.flush() and posted == [1, 1] and reporter.sent == 1


def _lagging() -> dict[str, Any]:
    return {"error": {"code": "consumers_lagging", "message": "behind", "request_id": "-"}}
