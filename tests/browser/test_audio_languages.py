"""Issue 20 point 3 in a real browser: a title whose master has an English and a French audio
stream plays in English, and the audio menu switches to French mid-play (hls.js and dash.js):
the French rendition's segments are fetched and playback goes on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import log_in, pick_first_profile
from vodstack.pipeline.media.multilingual import Voice, multilingual_clip
from vodstack.supervisor.launcher import RunningPlatform, ingest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Browser Two Languages"
SECONDS = 12  # three 4 s segments: the switch lands mid-play with segments still to fetch


@pytest.fixture(scope="module")
def bilingual_title(platform: RunningPlatform) -> Iterator[str]:
    source = multilingual_clip(
        platform.data_dir / "bilingual.mp4", SECONDS, [Voice("eng", 440), Voice("fra", 880)]
    )
    ingest(platform, source, TITLE)
    yield TITLE


def _watch(page: Page, platform: RunningPlatform, query: str = "") -> None:
    logins = platform.logins()
    log_in(page, platform, logins["viewer_email"], logins["viewer_password"])
    pick_first_profile(page, platform)
    page.locator("#search-input").fill(TITLE)
    page.locator("#search-results [data-testid=poster]", has_text=TITLE).click()
    title_id = page.locator("article.title-page").get_attribute("data-title-id")
    page.goto(f"{platform.url}/watch/{title_id}?max_buffer=4{query}")


def _fetched(page: Page, rendition: str) -> bool:
    return bool(
        page.evaluate(
            "(name) => performance.getEntriesByType('resource')"
            ".some((e) => e.name.includes(`/${name}/seg_`))",
            rendition,
        )
    )


def _switches_mid_play(page: Page) -> None:
    menu = page.locator("#audio-select")
    expect(menu).to_be_visible()
    assert menu.locator("option").all_inner_texts() == ["English", "Français"]
    assert page.evaluate("() => window.vodstackPlayer.audioTrack()") == 0
    page.wait_for_function("() => document.getElementById('video').currentTime > 1")
    assert _fetched(page, "a128k") and not _fetched(page, "a1-fr")
    switched_at = page.evaluate("() => document.getElementById('video').currentTime")
    menu.select_option(label="Français")
    page.wait_for_function("() => window.vodstackPlayer.audioTrack() === 1")
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some((e) => e.name.includes('/a1-fr/seg_'))"
    )
    page.wait_for_function(
        f"() => document.getElementById('video').currentTime > {switched_at + 2}", timeout=30_000
    )
    assert page.evaluate("() => window.vodstackPlayer.errors") == []


def test_hls_switches_language_mid_play(
    page: Page, platform: RunningPlatform, bilingual_title: str
) -> None:
    _watch(page, platform)
    _switches_mid_play(page)
    page.goto("about:blank")


def test_dash_switches_language_mid_play(
    page: Page, platform: RunningPlatform, bilingual_title: str
) -> None:
    _watch(page, platform, "&format=dash")
    _switches_mid_play(page)
    page.goto("about:blank")
