"""Issue 20 point 4 in a real browser: an admin uploads subtitles on the title's page (a broken
file is refused naming its line), another language comes through the CLI, and a viewer turns
them on and switches language, with hls.js and with dash.js."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.support.browser import CLIP_S, log_in, pick_first_profile
from vodstack.supervisor.launcher import RunningPlatform, platform_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HALF = CLIP_S // 2
FRENCH = (
    f"1\n00:00:00,000 --> 00:00:{HALF:02d},000\nBonjour <script>alert(1)</script><b>un</b>\n\n"
    f"2\n00:00:{HALF:02d},000 --> 00:00:{CLIP_S - 1:02d},500\nBonjour deux\n"
)
ENGLISH = f"WEBVTT\n\n00:00.000 --> 00:{CLIP_S - 1:02d}.500\nHello <i>everyone</i>\n"

# A cue of the showing text track is on screen and starts with `prefix`.
_SHOWING = """(prefix) => [...document.getElementById('video').textTracks].some((track) =>
  track.mode === 'showing' && track.activeCues &&
  [...track.activeCues].some((cue) => cue.text.startsWith(prefix)))"""


def _title_id(page: Page, platform: RunningPlatform, name: str) -> int:
    logins = platform.logins()
    log_in(page, platform, logins["viewer_email"], logins["viewer_password"])
    pick_first_profile(page, platform)
    page.locator("#search-input").fill(name)
    page.locator("#search-results [data-testid=poster]", has_text=name).click()
    return int(page.locator("article.title-page").get_attribute("data-title-id") or 0)


def _upload_on_the_page(admin: Page, lang: str, name: str, body: bytes) -> None:
    admin.fill("#subtitle-lang", lang)
    admin.fill("#subtitle-name", name)
    payload: FilePayload = {"name": f"{lang}.srt", "mimeType": "text/plain", "buffer": body}
    admin.set_input_files("#subtitle-file", files=[payload])
    admin.click("#subtitle-submit")


def _cli(platform: RunningPlatform, *args: str) -> subprocess.CompletedProcess[str]:
    env = platform_env(platform.data_dir, platform.ports, {})
    command = [sys.executable, "-m", "vodstack", "subtitles", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def _admin_uploads(browser: Browser, platform: RunningPlatform, title_id: int) -> None:
    context = browser.new_context()
    context.set_default_timeout(20_000)
    admin = context.new_page()
    logins = platform.logins()
    log_in(admin, platform, logins["admin_email"], logins["admin_password"])
    pick_first_profile(admin, platform)
    admin.goto(f"{platform.url}/admin/titles/{title_id}/edit")
    # Not UTF-8: refused, naming the line of the first bad byte.
    _upload_on_the_page(admin, "fr", "Français", FRENCH.replace("deux", "là").encode("latin-1"))
    expect(admin.locator("#subtitle-error")).to_contain_text("line 7")
    expect(admin.locator("#subtitle-error")).to_contain_text("UTF-8")
    # An end before its start: refused, naming the timing line.
    broken = FRENCH.replace(f"00:00:{CLIP_S - 1:02d},500", f"00:00:{HALF - 1:02d},000")
    _upload_on_the_page(admin, "fr", "Français", broken.encode())
    expect(admin.locator("#subtitle-error")).to_contain_text("line 6")
    expect(admin.locator("#subtitle-error")).to_contain_text("end is not after the start")
    _upload_on_the_page(admin, "fr", "Français", FRENCH.encode())
    expect(admin.locator("#subtitle-done")).to_contain_text("Français (fr): 2 cues")
    expect(admin.locator("#subtitle-list li[data-lang=fr]")).to_have_text("Français (fr)")
    context.close()


def _menu_switches_language(page: Page) -> None:
    menu = page.locator("#subtitles-select")
    expect(menu).to_be_visible()
    assert menu.locator("option").all_inner_texts() == ["Subtitles off", "English", "Français"]
    page.wait_for_function("() => document.getElementById('video').currentTime > 0.5")
    menu.select_option(label="Français")
    page.wait_for_function(_SHOWING, arg="Bonjour", polling=100)
    french = page.evaluate(
        "() => [...document.getElementById('video').textTracks].flatMap((t) => t.mode === "
        "'showing' && t.activeCues ? [...t.activeCues].map((c) => c.text) : [])"
    )
    assert all("<script" not in text and "alert" not in text for text in french), french
    menu.select_option(label="English")
    page.wait_for_function(_SHOWING, arg="Hello", polling=100)
    assert not page.evaluate(_SHOWING, "Bonjour")  # French is off again
    menu.select_option(label="Subtitles off")
    page.wait_for_function(
        "() => ![...document.getElementById('video').textTracks].some((t) => t.mode === 'showing')"
    )
    assert page.evaluate("() => window.vodstackPlayer.errors") == []


def test_subtitles_are_uploaded_shown_and_switched(
    browser: Browser, page: Page, platform: RunningPlatform, playable_title: str, tmp_path: Path
) -> None:
    title_id = _title_id(page, platform, playable_title)
    _admin_uploads(browser, platform, title_id)

    english = tmp_path / "en.vtt"
    english.write_text(ENGLISH.replace("00.000 -->", "05.000 --> 00:04.000\nx\n\n00:00.000 -->"))
    refused = _cli(platform, "add", str(title_id), str(english), "--lang", "en")
    assert refused.returncode == 1
    assert "line 3" in refused.stdout and "end is not after the start" in refused.stdout
    english.write_text(ENGLISH)
    added = _cli(platform, "add", str(title_id), str(english), "--lang", "en")
    assert added.returncode == 0, added.stdout + added.stderr
    assert "en (English): 1 cues" in added.stdout

    page.goto(f"{platform.url}/watch/{title_id}")
    _menu_switches_language(page)
    page.goto(f"{platform.url}/watch/{title_id}?format=dash")
    _menu_switches_language(page)
    page.goto("about:blank")
