"""Issue 20, codecs, in a real browser: a title encoded in AV1, VP9 and H.264 (its own platform
with `pipeline.codecs = ["h264", "av1", "vp9"]`) plays in the codec Chromium decodes most
efficiently, keeps to that codec's rungs, and falls back when the page is told a codec is not
supported (MediaSource.isTypeSupported overridden before any script of the page runs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import CHROMIUM, log_in, pick_first_profile
from vodstack.pipeline.media import pattern_clip
from vodstack.supervisor.launcher import RunningPlatform, ingest, running_platform

# The first test waits for the platform and a three-codec encode: minutes on a shared machine.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]

TITLE = "Codec Test Pattern"
ENCRYPTED = "Encrypted Codec Pattern"
CLIP_S = 8
_FAMILY_ENTRY = {"av1": "av01", "vp9": "vp09", "h264": "avc1"}

# Installed before the page's scripts: `refused` codec entries are reported unsupported, as a
# browser without that decoder would.
_REFUSE = """
(refused) => {
  for (const name of ["MediaSource", "ManagedMediaSource", "WebKitMediaSource"]) {
    const source = window[name];
    if (!source || !source.isTypeSupported) continue;
    const original = source.isTypeSupported.bind(source);
    source.isTypeSupported = (type) =>
      !refused.some((entry) => String(type).includes(entry)) && original(type);
  }
}
"""


@pytest.fixture(scope="module")
def codec_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM}")
    env = {
        "VODSTACK_PIPELINE__CODECS": json.dumps(["h264", "av1", "vp9"]),
        "VODSTACK_PIPELINE__LADDER": json.dumps([[180, 300], [360, 700]]),
        "VODSTACK_PIPELINE__PREVIEW_HEIGHT": "0",  # one version: the one with every codec
        "VODSTACK_PIPELINE__THUMBNAILS": "false",
        "VODSTACK_PIPELINE__QUALITY_REPORT": "false",
        "VODSTACK_PIPELINE__LADDER_NICENESS": "0",  # the whole ladder is what the test waits on
        # A platform of its own on a machine other tests share: let it take its time to start.
        "VODSTACK_SUPERVISOR__START_TIMEOUT_S": "540",
    }
    data_dir = tmp_path_factory.mktemp("codec-platform")
    with running_platform(data_dir, extra_env=env, timeout=600) as running:
        clip = pattern_clip(running.data_dir / "codecs.mp4", CLIP_S)
        ingest(running, clip, TITLE)
        yield running


@pytest.fixture(scope="module")
def encrypted_codec_title(codec_platform: RunningPlatform) -> str:
    """A second title on the same platform, encrypted although the platform's default is not
    (encryption is per title): every codec of it is CENC."""
    clip = pattern_clip(codec_platform.data_dir / "encrypted-codecs.mp4", CLIP_S)
    ingest(codec_platform, clip, ENCRYPTED, options=["--encrypt"])
    return ENCRYPTED


def _watch(
    browser: Browser,
    platform: RunningPlatform,
    query: str,
    refused: list[str],
    title: str = TITLE,
    licences: list[str] | None = None,
) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.add_init_script(f"({_REFUSE})({json.dumps(refused)})")
    if licences is not None:
        page.on(
            "request",
            lambda r: licences.append(r.url) if r.url.endswith("/licence") else None,
        )
    logins = platform.logins()
    log_in(page, platform, logins["viewer_email"], logins["viewer_password"])
    pick_first_profile(page, platform)
    page.locator("#search-input").fill(title)
    page.locator("#search-results [data-testid=poster]", has_text=title).click()
    expect(page.locator("#availability-badge")).to_have_attribute("data-availability", "available")
    title_id = page.locator("article.title-page").get_attribute("data-title-id")
    page.goto(f"{platform.url}/watch/{title_id}{query}")
    page.wait_for_function(
        "() => window.vodstackPlayer.ttffMs !== null && "
        "document.getElementById('video').currentTime > 1",
        timeout=60_000,
        polling=100,
    )
    return page


def _state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        "() => ({...window.vodstackPlayer.state(), errors: window.vodstackPlayer.errors})"
    )
    return state


@pytest.mark.parametrize("query", ["", "?format=dash"], ids=["hls", "dash"])
@pytest.mark.parametrize(
    ("refused", "expected"),
    [([], "av1"), (["av01"], "vp9"), (["av01", "vp09"], "h264")],
    ids=["all-codecs", "no-av1", "h264-only"],
)
def test_plays_the_most_efficient_codec_the_browser_decodes(
    browser: Browser,
    codec_platform: RunningPlatform,
    query: str,
    refused: list[str],
    expected: str,
) -> None:
    page = _watch(browser, codec_platform, query, refused)
    try:
        state = _state(page)
        assert state["errors"] == []
        assert state["codec"] == expected
        # Only the chosen codec's rungs are on offer: adaptation never leaves the codec.
        levels = state["levels"]
        assert len(levels) == 2, levels
        assert all(level["codec"].startswith(_FAMILY_ENTRY[expected]) for level in levels)
        suffix = "" if expected == "h264" else f"-{expected}"
        assert state["rendition"] in {f"v180p{suffix}", f"v360p{suffix}"}
        # Let it play on to the second segment: still the same codec, still no error.
        page.wait_for_function(
            "() => document.getElementById('video').currentTime > 4.5", timeout=30_000
        )
        later = _state(page)
        assert later["errors"] == [] and later["codec"] == expected
        assert later["rendition"].endswith(suffix) if suffix else "-" not in later["rendition"]
    finally:
        page.context.close()


@pytest.mark.parametrize(
    ("query", "refused", "expected"),
    [("", [], "av1"), ("?format=dash", ["av01"], "vp9")],
    ids=["av1-hls", "vp9-dash"],
)
def test_encrypted_av1_and_vp9_play_through_clear_key(
    browser: Browser,
    codec_platform: RunningPlatform,
    encrypted_codec_title: str,
    query: str,
    refused: list[str],
    expected: str,
) -> None:
    """Issue 20, point 2 with point 5: Chromium's Clear Key CDM decrypts CENC AV1 and VP9
    (hls.js and dash.js through EME), keys from the session's licence route."""
    licences: list[str] = []
    page = _watch(browser, codec_platform, query, refused, encrypted_codec_title, licences)
    try:
        state = _state(page)
        assert state["errors"] == []
        assert state["codec"] == expected
        assert licences, "played without a licence: the media was not encrypted"
    finally:
        page.context.close()
