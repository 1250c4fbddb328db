"""Issue 4 in a real browser: the demo viewer plays a title the pipeline encoded, through the
edges, switches quality by hand and survives the death of the edge it is using."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import ARTIFACTS, CLIP_S, log_in, pick_first_profile
from vodstack.gateway.vendor import ABR_MODULE
from vodstack.supervisor.launcher import RunningPlatform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A short buffer ahead, so segments are still being fetched when the edge dies.
MAX_BUFFER_S = 4


def _state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        "() => ({...window.vodstackPlayer.state(), t: document.getElementById('video').currentTime,"
        " errors: window.vodstackPlayer.errors, ttff_ms: window.vodstackPlayer.ttffMs,"
        " start_api_ms: window.vodstackPlayer.startApiMs})"
    )
    return state


def _wait(page: Page, predicate: str, timeout_s: float = 20) -> None:
    page.wait_for_function(predicate, timeout=timeout_s * 1000, polling=100)


def _open_title(page: Page, platform: RunningPlatform, name: str) -> int:
    logins = platform.logins()
    log_in(page, platform, logins["viewer_email"], logins["viewer_password"])
    pick_first_profile(page, platform)
    page.locator("#search-input").fill(name)
    page.locator("#search-results [data-testid=poster]", has_text=name).click()
    expect(page.locator("#availability-badge")).to_have_attribute("data-availability", "available")
    return int(page.locator("article.title-page").get_attribute("data-title-id") or 0)


def _kill_service_on(platform: RunningPlatform, base_url: str) -> str:
    port = urlsplit(base_url).port
    for service in platform.status().services:
        if service.port == port and service.pid is not None:
            os.kill(service.pid, signal.SIGKILL)
            return service.name
    raise AssertionError(f"no running service listens on {base_url}")


def test_plays_switches_quality_and_survives_an_edge_failure(
    page: Page, platform: RunningPlatform, playable_title: str
) -> None:
    title_id = _open_title(page, platform, playable_title)
    page.goto(f"{platform.url}/watch/{title_id}?max_buffer={MAX_BUFFER_S}")
    _wait(page, "() => window.vodstackPlayer.ttffMs !== null && "
                "document.getElementById('video').currentTime > 0.5")  # fmt: skip
    first = _state(page)
    assert first["errors"] == []
    assert first["abr"] == ("vodstack-adaptive" if ABR_MODULE.is_file() else "hls.js default")
    ttff, start_api = first["ttff_ms"], first["start_api_ms"]
    print(f"\ntime to first frame: {ttff:.0f} ms (start API {start_api:.0f} ms)")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ttff.json").write_text(json.dumps({
        "ttff_ms": first["ttff_ms"], "start_api_ms": first["start_api_ms"], "format": "hls",
        "clip_s": CLIP_S, "measured_at": time.time(),
    }))  # fmt: skip

    # Restart from the top, so the whole clip is ahead of us.
    page.evaluate("() => { document.getElementById('video').currentTime = 0; }")
    levels = first["levels"]
    assert len(levels) >= 2, levels
    playing = _state(page)["playing_level"]
    other = 0 if playing == len(levels) - 1 else len(levels) - 1
    page.select_option("#quality-select", str(other))
    _wait(page, f"() => window.vodstackPlayer.state().playing_level === {other}")
    assert _state(page)["auto"] is False

    # Kill the edge in use. The supervisor revives it within a second or so, so the browser
    # is also told that it refuses connections, as a dead edge would.
    before = _state(page)
    killed_url = before["edge"]
    _kill_service_on(platform, killed_url)
    page.route(f"{killed_url}/**", lambda route: route.abort("connectionrefused"))
    buffered_to = before["t"] + before["buffer_s"]
    _wait(page, f"() => document.getElementById('video').currentTime > {buffered_to + 2}", 30)
    after = _state(page)
    assert after["edge"] != killed_url and after["edge_index"] >= 1
    assert after["errors"] == []
    samples = []
    for _ in range(3):
        samples.append(_state(page)["t"])
        time.sleep(0.4)
    assert samples == sorted(samples) and samples[-1] > samples[0]  # still playing
    page.goto("about:blank")  # pagehide: the player stops its session


def test_keyboard_stats_overlay_and_thumbnail_preview(
    page: Page, platform: RunningPlatform, playable_title: str
) -> None:
    title_id = _open_title(page, platform, playable_title)
    page.goto(f"{platform.url}/watch/{title_id}?t=0")
    _wait(page, "() => document.getElementById('video').currentTime > 0.3")
    page.keyboard.press("i")
    stats = page.locator("#player-stats")
    expect(stats).to_be_visible()
    expect(stats.locator("[data-stat=edge]")).to_contain_text("127.0.0.1:")
    expect(stats.locator("[data-stat=abr]")).not_to_be_empty()
    page.keyboard.press("k")
    _wait(page, "() => document.getElementById('video').paused")
    page.keyboard.press("m")
    assert page.evaluate("() => document.getElementById('video').muted") is True
    position = _state(page)["t"]
    page.keyboard.press("ArrowRight")
    _wait(
        page,
        f"() => document.getElementById('video').currentTime >= {min(position + 9, CLIP_S - 1)}",
    )
    box = page.locator("#progress").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
    expect(page.locator("#thumb-preview")).to_be_visible()
    expect(page.locator("#thumb-preview .thumb-image")).to_have_css(
        "background-image", re.compile(r"thumbs/sprite_\d+\.jpg")
    )
    page.goto("about:blank")


def test_dash_plays_too(page: Page, platform: RunningPlatform, playable_title: str) -> None:
    title_id = _open_title(page, platform, playable_title)
    # From the top (`t=0`): at a resume point an earlier test left, the position would pass 1 s
    # at the seek, before a rendition has played.
    page.goto(f"{platform.url}/watch/{title_id}?format=dash&t=0")
    _wait(page, "() => document.getElementById('video').currentTime > 1")
    state = _state(page)
    assert state["format"] == "dash" and state["errors"] == []
    assert state["rendition"] in {level["name"] for level in state["levels"]}
    page.goto("about:blank")


def test_phone_width_keeps_the_controls_on_screen(
    page: Page, platform: RunningPlatform, playable_title: str
) -> None:
    title_id = _open_title(page, platform, playable_title)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{platform.url}/watch/{title_id}")
    _wait(page, "() => document.getElementById('video').currentTime > 0.3")
    for control in ("#play-toggle", "#quality-select", "#fullscreen-toggle"):
        box = page.locator(control).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, control
    page.goto("about:blank")


def test_a_start_whose_answer_was_lost_is_asked_again_with_the_same_key(
    page: Page, platform: RunningPlatform, playable_title: str
) -> None:
    """The first start reaches the playback service, which opens a session, but its answer
    never reaches the page (the connection drops). The player asks again with the same
    Idempotency-Key and plays in the session that was opened, not in a second one."""
    title_id = _open_title(page, platform, playable_title)
    keys: list[str | None] = []
    opened: list[str] = []

    def drop_first_answer(route: Any) -> None:
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            response = route.fetch()  # the gateway and playback do the whole start
            opened.append(response.json()["play_session_id"])
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(re.compile(rf".*/api/playback/{title_id}/start.*"), drop_first_answer)
    page.goto(f"{platform.url}/watch/{title_id}")
    _wait(page, "() => document.getElementById('video').currentTime > 0.5", timeout_s=60)
    state = _state(page)
    assert state["errors"] == []
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys
    session = page.evaluate("() => window.vodstackPlayer.start.play_session_id")
    assert opened == [session]
