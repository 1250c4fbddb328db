"""Stop and log-out revoke a session's segment URLs at the edges within seconds.

In-process: gateway, accounts, catalog and playback apps, plus a real edge and origin app
(their lifespans running, so their revocation feeds poll playback over HTTP as in production).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.cdn.inprocess import Router
from tests.services.playback.stack import Platform, inprocess_platform
from tests.support.gateway import Visitor
from tests.support.playback import VERSION
from tests.support.waiting import eventually
from vodstack.cdn.edge import create_edge_app
from vodstack.cdn.origin import create_origin_app
from vodstack.config.settings import CdnSettings
from vodstack.delivery.assets import asset_key

SEGMENT = b"\x00\x00\x00\x18styp" + b"x" * 4000
EDGE = "edge-eu-1"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    cdn = CdnSettings(regions=["eu"], edges_per_region=1, revocation_poll_s=0.1)
    with inprocess_platform(tmp_path, cdn=cdn) as running:
        yield running


@contextmanager
def delivery(platform: Platform) -> Iterator[dict[str, TestClient]]:
    """The origin and one edge, reaching playback (for revocations) and each other via ASGI."""
    settings = platform.settings
    router = Router()
    router.add(settings.service_url("playback"), platform.playback_app)
    origin = create_origin_app(settings, transport=router)
    router.add(settings.service_url("origin"), origin)
    edge = create_edge_app(settings, EDGE, transport=router)
    with TestClient(origin) as origin_client, TestClient(edge) as edge_client:
        yield {"origin": origin_client, "edge": edge_client}


def _start(platform: Platform, viewer: Visitor) -> dict[str, Any]:
    title_id = platform.title()
    (platform.objects / asset_key(title_id, VERSION, "v360p/seg_00001.m4s")).write_bytes(SEGMENT)
    started = viewer.post(f"/api/playback/{title_id}/start")
    assert started.status_code == 201, started.text
    body: dict[str, Any] = started.json()
    return body


def _segment_url(session: dict[str, Any]) -> str:
    return f"{session['asset_path']}v360p/seg_00001.m4s?t={session['token']}"


def _eventually_refused(server: TestClient, url: str, timeout_s: float = 15.0) -> str:
    def refused() -> str | None:
        response = server.get(url)
        if response.status_code == 403:
            return str(response.json()["error"]["code"])
        assert response.status_code == 200, response.text
        return None

    return eventually(refused, timeout_s=timeout_s, message="the segment URL was never revoked")


def test_stop_revokes_the_segment_urls_on_edge_and_origin(platform: Platform) -> None:
    viewer = platform.viewer("premium")
    session = _start(platform, viewer)
    url = _segment_url(session)
    with delivery(platform) as servers:
        assert servers["edge"].get(url).content == SEGMENT
        assert servers["origin"].get(url).status_code == 200
        stopped = viewer.post(f"/api/playback/{session['play_session_id']}/stop", json={})
        assert stopped.status_code == 200
        assert _eventually_refused(servers["edge"], url) == "token_revoked"
        assert _eventually_refused(servers["origin"], url) == "token_revoked"


def test_logout_revokes_the_streams_of_that_login_only(platform: Platform) -> None:
    viewer = platform.viewer("premium")
    session = _start(platform, viewer)
    other_device = Visitor(platform.client)
    assert other_device.log_in(_email_of(viewer)).status_code == 200
    other_device.watch_as(other_device.first_profile_id())
    other = _start(platform, other_device)
    with delivery(platform) as servers:
        assert servers["edge"].get(_segment_url(session)).status_code == 200
        assert viewer.post("/api/auth/logout").status_code == 204
        assert _eventually_refused(servers["edge"], _segment_url(session)) == "token_revoked"
        assert servers["edge"].get(_segment_url(other)).status_code == 200


def _email_of(viewer: Visitor) -> str:
    return str(viewer.get("/api/me").json()["account"]["email"])
