"""Issue 17 in a real browser: the web player reports its playback as events (interval batches,
and a sendBeacon when the page is hidden), which become the home page's Continue watching row
and the operators' QoE dashboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_watch import _open_title, _wait
from tests.support.browser import log_in, pick_first_profile
from vodstack.supervisor.launcher import RunningPlatform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


# The player records `play_start` on the video's first `playing` event. Waiting on the position
# alone is not enough: when an earlier test left this profile a resume point, the position is
# past 2 s as soon as the player seeks there, before anything has played (CI once paused it then,
# and no event was ever recorded).
_STARTED = """() => {
  const events = window.vodstackPlayer && window.vodstackPlayer.events;
  return Boolean(events) && (events.sent > 0 || events.queue.some((e) => e.type === "play_start"));
}"""


def _wait_until_started(page: Page) -> None:
    _wait(page, _STARTED)


def test_playback_events_become_continue_watching(
    page: Page, platform: RunningPlatform, playable_title: str
) -> None:
    title_id = _open_title(page, platform, playable_title)
    page.goto(f"{platform.url}/watch/{title_id}")
    _wait_until_started(page)
    _wait(page, "() => document.getElementById('video').currentTime > 2")
    page.evaluate("() => document.getElementById('video').pause()")
    page.goto(f"{platform.url}/")  # pagehide: the rest leaves in a beacon

    row = page.locator("#continue-watching")
    for _ in range(50):  # the history consumer runs behind the log by a moment
        if row.count():
            break
        page.wait_for_timeout(200)
        page.reload()
    expect(row.locator(f'[data-title-id="{title_id}"]').first).to_be_visible()
    progress = row.locator(".continue-progress").first
    assert int(progress.get_attribute("value") or 0) > 0

    # Its page now offers Resume, and From the beginning beside it.
    page.goto(f"{platform.url}/title/{title_id}")
    expect(page.locator("#play-button")).to_contain_text("Resume")
    expect(page.locator("#play-from-start")).to_have_attribute("href", f"/watch/{title_id}?t=0")


def test_the_dashboard_charts_a_real_playback(
    page: Page, browser: Browser, platform: RunningPlatform, playable_title: str
) -> None:
    title_id = _open_title(page, platform, playable_title)
    page.goto(f"{platform.url}/watch/{title_id}")
    _wait_until_started(page)
    _wait(page, "() => document.getElementById('video').currentTime > 1")
    page.goto("about:blank")  # the play_start and the stop leave (batch or beacon)

    admin = browser.new_page()
    logins = platform.logins()
    log_in(admin, platform, logins["admin_email"], logins["admin_password"])
    pick_first_profile(admin, platform)
    admin.goto(f"{platform.url}/admin/telemetry")
    for _ in range(40):  # the telemetry consumer runs a moment behind; the page refreshes
        if admin.locator("#qoe-charts[data-state=data]").count():
            break
        admin.wait_for_timeout(500)
    expect(admin.locator("#qoe-charts")).to_have_attribute("data-state", "data")
    starts = admin.locator('[data-metric="starts_per_s"] svg').locator("polyline, circle")
    assert starts.count() >= 1
    admin.close()
