"""Issue 20, point 5 in a real browser: a title encrypted by the pipeline (CENC, a key per asset
version) plays in Chromium through EME with Clear Key, over HLS (hls.js) and DASH (dash.js),
its keys fetched from the session's licence route; the edges only ever hold encrypted media."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, Request

from tests.browser.test_watch import _open_title, _state, _wait
from vodstack.pipeline.media import ffmpeg_exe, pattern_clip
from vodstack.player.headless.gateway import GatewaySession
from vodstack.supervisor.launcher import RunningPlatform, ingest, platform_env, running_platform

# Its own platform and two encodes before the first test: minutes on a shared machine.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1800)]

TITLE = "Encrypted Test Pattern"
CLEAR = "Clear Trailer Pattern"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    data_dir = tmp_path_factory.mktemp("encrypted-platform")
    # Patient start-up: this module starts a platform of its own beside the session's.
    env = {"VODSTACK_PIPELINE__ENCRYPT": "true", "VODSTACK_SUPERVISOR__START_TIMEOUT_S": "300"}
    with running_platform(data_dir, extra_env=env, timeout=400) as running:
        yield running


@pytest.fixture(scope="module")
def encrypted_title(platform: RunningPlatform) -> str:
    ingest(platform, pattern_clip(platform.data_dir / "encrypted.mp4", 12), TITLE)
    return TITLE


def test_the_edges_hold_only_encrypted_media(
    platform: RunningPlatform, encrypted_title: str
) -> None:
    logins = platform.logins()
    with GatewaySession(platform.url) as session:
        session.log_in(logins["viewer_email"], logins["viewer_password"])
        session.choose_profile()
        start = session.start(session.find_title(encrypted_title))
        master = httpx.get(start.hls_stream_url).text
        assert "#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES-CTR" in master
        rendition = next(line for line in master.splitlines() if line.endswith(".m3u8"))
        init = None
        for edge in start.edges:  # the init segment of the first variant, from an edge
            name = rendition.split("/")[0]
            url = f"{edge}{start.asset_path}{name}/init.mp4"
            init = httpx.get(url, params={"t": start.token})
            if init.status_code == 200:
                break
        assert init is not None and init.status_code == 200
        assert b"encv" in init.content and b"tenc" in init.content
        session.stop(start.play_session_id, 0.0, completed=False)


@pytest.mark.parametrize("fmt", ["hls", "dash"])
def test_an_encrypted_title_plays_through_eme(
    page: Page, platform: RunningPlatform, encrypted_title: str, fmt: str
) -> None:
    licences: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST" and request.url.endswith("/licence"):
            licences.append(request.url)

    page.on("request", record)
    title_id = _open_title(page, platform, encrypted_title)
    page.goto(f"{platform.url}/watch/{title_id}?format={fmt}")
    _wait(page, "() => document.getElementById('video').currentTime > 2", timeout_s=40)
    state = _state(page)
    assert state["format"] == fmt
    assert state["errors"] == []
    assert licences, "played without asking for a licence: the media was not encrypted"
    page.goto("about:blank")


@pytest.fixture(scope="module")
def clear_title(platform: RunningPlatform) -> str:
    # The platform encrypts by default; this title is set to play in the clear.
    ingest(
        platform, pattern_clip(platform.data_dir / "clear.mp4", 8), CLEAR, options=["--no-encrypt"]
    )
    return CLEAR


def test_a_clear_title_beside_encrypted_ones_plays_without_a_licence(
    page: Page, platform: RunningPlatform, clear_title: str
) -> None:
    """Encryption is per title (issue 20, point 5): the same platform, no key, no EME."""
    logins = platform.logins()
    with GatewaySession(platform.url) as session:
        session.log_in(logins["viewer_email"], logins["viewer_password"])
        session.choose_profile()
        start = session.start(session.find_title(clear_title))
        assert start.licence_url == ""
        assert "#EXT-X-SESSION-KEY" not in httpx.get(start.hls_stream_url).text
        session.stop(start.play_session_id, 0.0, completed=False)
    licences: list[str] = []
    page.on("request", lambda r: licences.append(r.url) if r.url.endswith("/licence") else None)
    title_id = _open_title(page, platform, clear_title)
    page.goto(f"{platform.url}/watch/{title_id}?format=dash")
    _wait(page, "() => document.getElementById('video').currentTime > 2", timeout_s=40)
    assert _state(page)["errors"] == []
    assert licences == []
    page.goto("about:blank")


def _version_and_master(platform: RunningPlatform, title: str) -> tuple[int, str, str]:
    logins = platform.logins()
    with GatewaySession(platform.url) as session:
        session.log_in(logins["viewer_email"], logins["viewer_password"])
        session.choose_profile()
        title_id = session.find_title(title)
        start = session.start(title_id)
        master = httpx.get(start.hls_stream_url).text
        session.stop(start.play_session_id, 0.0, completed=False)
        return title_id, start.asset_version, master


def test_an_audio_language_added_after_publish_reaches_the_player(
    page: Page, platform: RunningPlatform, clear_title: str
) -> None:
    """Issue 20, point 3: `vodstack audio add` on a published title publishes a new version
    with the language in its audio group; the title stays clear (its own setting) and the
    player's audio menu offers the language."""
    title_id, before, _ = _version_and_master(platform, clear_title)
    dub = platform.data_dir / "dub.m4a"
    tone = "sine=frequency=880:sample_rate=48000:duration=8"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", tone, str(dub)], check=True)
    command = [sys.executable, "-m", "vodstack", "audio", "add", str(title_id), str(dub)]
    command += ["--language", "fr", "--name", "Français", "--wait"]
    env = platform_env(platform.data_dir, platform.ports, {})
    added = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    assert added.returncode == 0, added.stdout + added.stderr
    deadline = time.monotonic() + 120  # the catalog learns of the publish through an outbox
    while (found := _version_and_master(platform, clear_title))[1] == before:
        assert time.monotonic() < deadline, "the new version never reached the catalog"
        time.sleep(1)
    master = found[2]
    assert 'LANGUAGE="fr"' in master and 'NAME="Français"' in master
    assert "#EXT-X-SESSION-KEY" not in master
    _open_title(page, platform, clear_title)
    page.goto(f"{platform.url}/watch/{title_id}")
    _wait(page, "() => document.getElementById('video').currentTime > 1", timeout_s=40)
    assert "Français" in page.locator("#audio-select option").all_inner_texts()
    page.goto("about:blank")
