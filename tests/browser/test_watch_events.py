"""Issue 17 in a real browser: the web player reports its playback as events (interval batches,
and a sendBeacon when the page is hidden), which become the home page's Continue watching row."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_watch import _open_title, _wait
from vodstack.supervisor.launcher import RunningPlatform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_playback_events_become_continue_watching(
    page: Page, platform: RunningPlatform, playable_title: str
) -> None:
    title_id = _open_title(page, platform, playable_title)
    page.goto(f"{platform.url}/watch/{title_id}")
    _wait(page, "() => document.getElementById('video').currentTime > 2")
    page.evaluate("() => document.getElementById('video').pause()")
    queued = page.evaluate("() => window.vodstackPlayer.events.queue.map((e) => e.type)")
    assert "play_start" in queued or page.evaluate("() => window.vodstackPlayer.events.sent") > 0
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
