"""`/api/playback` end to end in-process: gateway -> accounts, catalog, playback over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.events.stack import event
from tests.services.playback.stack import Platform, inprocess_platform
from tests.support.gateway import Visitor
from tests.support.playback import EDGES, VERSION
from tests.support.waiting import eventually
from vodstack.config.settings import PlaybackSettings


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with inprocess_platform(tmp_path) as running:
        yield running


def start(viewer: Visitor, title_id: int, **params: Any) -> httpx.Response:
    return viewer.post(f"/api/playback/{title_id}/start", params=params)


def test_basic_plan_gets_at_most_720p_and_one_stream(platform: Platform) -> None:
    viewer = platform.viewer("basic")
    title_id = platform.title()
    first = start(viewer, title_id)
    assert first.status_code == 201, first.text
    session = first.json()
    assert session["max_height"] == 720
    assert session["edges"] == EDGES

    master = viewer.get(session["hls_url"])
    assert master.status_code == 200
    assert master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert "v720p/index.m3u8" in master.text
    assert "1080" not in master.text
    base = session["hls_url"].rsplit("/", 1)[0]
    above = viewer.get(f"{base}/v1080p/index.m3u8")
    assert above.status_code == 403
    assert above.json()["error"]["code"] == "above_plan"
    media = viewer.get(f"{base}/v720p/index.m3u8").text
    assert f"{EDGES[0]}/v/{title_id}/{VERSION}/v720p/seg_00001.m4s?t={session['token']}" in media
    assert "v1080p" not in viewer.get(session["dash_url"]).text

    second = start(viewer, title_id)
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["code"] == "stream_limit"
    assert "allows 1 stream at a time" in error["message"]

    stopped = viewer.post(f"/api/playback/{session['play_session_id']}/stop", json={})
    assert stopped.status_code == 200
    assert start(viewer, title_id).status_code == 201


def test_resume_point_comes_from_the_players_events_through_history(tmp_path: Path) -> None:
    """Heartbeat and stop events feed the history service; the next start resumes there, and a
    completed play clears it (its watched flag set)."""
    # A budget no load reaches: the last assertion counts history's failures, and under a full
    # CI run an in-process answer once took longer than the default 0.5 s (a timeout counted).
    patient = PlaybackSettings(resume_timeout_s=30.0)
    with inprocess_platform(tmp_path, history=True, playback=patient) as platform:
        viewer = platform.viewer("premium")
        title_id = platform.title()
        sid = start(viewer, title_id).json()["play_session_id"]
        assert viewer.post(f"/api/playback/{sid}/stop", json={"position_s": 64}).status_code == 200
        assert start(viewer, title_id).json()["resume_position_s"] == 0, "playback keeps none"

        def send(*events: dict[str, Any]) -> None:
            sent = viewer.post("/api/events", json={"events": list(events)})
            assert sent.status_code == 200, sent.text
            assert sent.json()["accepted"] == len(events)

        def resumes_at(position: float) -> bool:
            answer = start(viewer, title_id).json()
            viewer.post(f"/api/playback/{answer['play_session_id']}/stop", json={})
            return bool(answer["resume_position_s"] == position)

        fields = {"session_id": sid, "title_id": title_id}
        send(event("heartbeat", **fields, position_s=61.5), event("stop", **fields, position_s=64))
        eventually(lambda: resumes_at(64), message="the stop event's position never resumed")
        send(event("stop", **fields, position_s=600.0, completed=True))
        eventually(lambda: resumes_at(0), message="the completion never cleared the resume point")
        # "Never played" (history's 404) is an answer, not a failure.
        assert platform.playback_app.state.playback.resume_unavailable == 0


def test_start_plays_from_zero_with_the_history_service_down(platform: Platform) -> None:
    """The default platform's history port has nothing listening: starts still succeed."""
    viewer = platform.viewer("premium")
    answer = start(viewer, platform.title())
    assert answer.status_code == 201, answer.text
    assert answer.json()["resume_position_s"] == 0
    assert platform.playback_app.state.playback.resume_unavailable == 1


def test_kids_profile_cannot_play_an_adult_title(platform: Platform) -> None:
    viewer = platform.viewer("premium")
    kids = viewer.add_profile("Kid", "kids")
    viewer.watch_as(kids)
    response = start(viewer, platform.title("adult"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "title_not_found"


def test_a_title_never_published_does_not_exist_for_viewers(platform: Platform) -> None:
    viewer = platform.viewer("premium")
    response = start(viewer, platform.title(published=False))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "title_not_found"


def test_another_account_cannot_use_my_session(platform: Platform) -> None:
    mine = platform.viewer("premium")
    session = start(mine, platform.title()).json()
    stranger = platform.viewer("premium")
    assert stranger.get(session["hls_url"]).status_code == 404
    sid = session["play_session_id"]
    assert stranger.post(f"/api/playback/{sid}/stop", json={}).status_code == 404


def test_region_is_passed_to_steering_in_local_mode(platform: Platform) -> None:
    viewer = platform.viewer("premium")
    title_id = platform.title()
    assert start(viewer, title_id, region="us").status_code == 201
    assert start(viewer, title_id, region="mars").status_code == 201  # unknown: the default
    assert platform.edges.regions == ["us", "eu"]


def test_start_needs_login_and_csrf(platform: Platform) -> None:
    title_id = platform.title()
    anonymous = Visitor(platform.client)
    assert start(anonymous, title_id).status_code == 401
    viewer = platform.viewer("premium")
    forged = viewer.post(f"/api/playback/{title_id}/start", csrf=False)
    assert forged.status_code == 403


def test_a_catalog_that_is_down_is_named_not_playback(tmp_path: Path) -> None:
    with inprocess_platform(tmp_path, catalog_down=True) as platform:
        viewer = platform.viewer("premium")
        response = start(viewer, 1)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["message"] == "The catalog service is unreachable."
    assert error["code"] == "upstream_unreachable"


def test_a_start_repeated_with_its_idempotency_key_gets_the_same_session(
    platform: Platform,
) -> None:
    viewer = platform.viewer("basic")
    title_id = platform.title()
    path = f"/api/playback/{title_id}/start"
    first = viewer.post(path, headers={"Idempotency-Key": "press-1"})
    assert first.status_code == 201, first.text
    again = viewer.post(path, headers={"Idempotency-Key": "press-1"})
    assert again.status_code == 201, again.text
    assert again.json()["play_session_id"] == first.json()["play_session_id"]
    assert viewer.post(path, headers={"Idempotency-Key": "press-2"}).status_code == 409
    bad = viewer.post(path, headers={"Idempotency-Key": "not a key"})
    assert bad.status_code == 422
