"""Starts keep their titles and follow the catalog's change feed, end to end in-process:
a title taken down or published again reaches starts within the feed's interval."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.services.playback.stack import Platform, inprocess_platform
from tests.support.gateway import Visitor
from tests.support.playback import VERSION
from tests.support.waiting import eventually
from vodstack.config.settings import PlaybackSettings


def _start(viewer: Visitor, title_id: int) -> httpx.Response:
    answer = viewer.post(f"/api/playback/{title_id}/start")
    if answer.status_code == 201:
        session = answer.json()["play_session_id"]
        assert viewer.post(f"/api/playback/{session}/stop", json={}).status_code == 200
    return answer


def _availability(platform: Platform, title_id: int, body: dict[str, object]) -> None:
    changed = platform.catalog.put(f"/v1/titles/{title_id}/availability", json=body)
    assert changed.status_code == 200, changed.text


def test_a_title_taken_down_and_published_again_reaches_starts(tmp_path: Path) -> None:
    settings = PlaybackSettings(change_feed_s=0.05)
    with inprocess_platform(tmp_path, playback=settings) as platform:
        viewer = platform.viewer("basic")
        title_id = platform.title()
        for _ in range(3):
            first = _start(viewer, title_id)
            assert first.status_code == 201, first.text
            assert first.json()["asset_version"] == VERSION

        _availability(platform, title_id, {"availability": "processing", "asset_version": None})
        # Hidden from viewers again: the catalog's 404, as for a title never published.
        refused: httpx.Response = eventually(
            lambda: ((answer := _start(viewer, title_id)).status_code == 404 and answer) or None,
            timeout_s=5,
            message="a title taken down kept playing",
        )
        assert refused.json()["error"]["code"] == "title_not_found"

        _availability(platform, title_id, {"availability": "available", "asset_version": VERSION})
        eventually(
            lambda: _start(viewer, title_id).status_code == 201,
            timeout_s=5,
            message="a title published again never played",
        )
