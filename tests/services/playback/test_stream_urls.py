"""Stream URLs (issue 14, point 5) in-process: the session's manifests with no cookie, named by
its token in the path; they die with the session; CORS only for the configured origins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.services.playback.stack import Platform, inprocess_platform
from tests.support.gateway import Visitor
from tests.support.playback import EDGES, VERSION

WEB_ORIGIN = "https://player.example"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with inprocess_platform(
        tmp_path, public_url="https://vod.example", playback={"cors_origins": [WEB_ORIGIN]}
    ) as running:
        yield running


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _started(platform: Platform, plan: str = "basic") -> tuple[Visitor, dict[str, str]]:
    viewer = platform.viewer(plan)
    answer = viewer.post(f"/api/playback/{platform.title()}/start")
    assert answer.status_code == 201, answer.text
    return viewer, answer.json()


def test_stream_urls_play_without_a_cookie_and_keep_the_plan_filter(platform: Platform) -> None:
    _, session = _started(platform)
    hls, dash = session["hls_stream_url"], session["dash_stream_url"]
    assert hls.startswith("https://vod.example/api/playback/signed/")
    assert session["token"] in hls and session["token"] in dash
    stranger = Visitor(platform.client)  # no cookie at all, as ffmpeg or GStreamer

    master = stranger.get(_path(hls))
    assert master.status_code == 200, master.text
    assert master.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert master.headers["cache-control"] == "private, no-store"
    assert "v720p/index.m3u8" in master.text and "1080" not in master.text
    # The relative variant URI resolves under the token, as a player resolves it.
    media = stranger.get(_path(urljoin(hls, "v720p/index.m3u8")))
    assert media.status_code == 200, media.text
    segment = f"{EDGES[0]}/v/{session['title_id']}/{VERSION}/v720p/seg_00001.m4s"
    assert f"{segment}?t={session['token']}" in media.text
    # A path edited up the ladder is refused as such; a made-up one does not exist.
    above = stranger.get(_path(urljoin(hls, "v1080p/index.m3u8")))
    assert above.status_code == 403
    assert above.json()["error"]["code"] == "above_plan"
    assert stranger.get(_path(urljoin(hls, "v9999p/index.m3u8"))).status_code == 404

    mpd = stranger.get(_path(dash))
    assert mpd.status_code == 200, mpd.text
    assert "v1080p" not in mpd.text and f"?t={session['token']}" in mpd.text


def test_stream_urls_die_with_their_session(platform: Platform) -> None:
    viewer, session = _started(platform, "premium")
    stranger = Visitor(platform.client)
    assert stranger.get(_path(session["hls_stream_url"])).status_code == 200
    stopped = viewer.post(f"/api/playback/{session['play_session_id']}/stop", json={})
    assert stopped.status_code == 200
    ended = stranger.get(_path(session["hls_stream_url"]))
    assert ended.status_code == 409
    assert ended.json()["error"]["code"] == "session_ended"
    assert stranger.get(_path(session["dash_stream_url"])).status_code == 409


def test_a_forged_or_foreign_token_gets_403(platform: Platform) -> None:
    _, first = _started(platform, "premium")
    _, second = _started(platform, "premium")
    stranger = Visitor(platform.client)
    token = first["token"]
    forged = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    for bad in (forged, "not-a-token-at-all-xxxxxxxx", second["token"][:-1]):
        answer = stranger.get(f"/api/playback/signed/{bad}/master.m3u8")
        assert answer.status_code == 403, (bad, answer.text)
        assert answer.json()["error"]["code"] == "token_bad_signature"
    # One session's token never opens another's manifests: the token names its own session.
    assert stranger.get(_path(second["hls_stream_url"])).status_code == 200


def test_cors_is_answered_for_configured_origins_only(platform: Platform) -> None:
    _, session = _started(platform, "premium")
    stranger = Visitor(platform.client)
    allowed = stranger.get(_path(session["dash_stream_url"]), headers={"Origin": WEB_ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == WEB_ORIGIN
    other = stranger.get(
        _path(session["dash_stream_url"]), headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers
    preflight = stranger.request(
        "OPTIONS",
        f"/api/playback/{session['title_id']}/start",
        headers={"Origin": WEB_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-credentials"] == "true"
    # The rest of the API stays same-origin.
    browse = stranger.get("/api/titles", headers={"Origin": WEB_ORIGIN})
    assert "access-control-allow-origin" not in browse.headers
