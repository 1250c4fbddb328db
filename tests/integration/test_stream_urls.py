"""Stream URLs any player opens (issue 14, points 5 and 6), against the real platform.

`vodstack play --print-url` holds a play session and prints its cookieless stream URL; ffmpeg,
GStreamer and Shaka Player (in Chromium, on another web origin) play it, HLS and DASH, to the
end. When the session ends, the URL and its segments stop working. `vodstack play` without
`--fast` plays in real time with a live progress line; the edge that served it logs every
request and `vodstack status` counts its traffic.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urljoin

import httpx
import pytest
from playwright.sync_api import sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Route

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.pipeline_env import NO_QUALITY_REPORT
from tests.support.servers import serve_in_thread
from tests.support.waiting import eventually
from vodstack.gateway.vendor import STATIC_DIR
from vodstack.pipeline.media import pattern_clip
from vodstack.pipeline.media.ffmpeg import ffmpeg_exe
from vodstack.player.headless.report import PlaybackReport
from vodstack.supervisor.launcher import RunningPlatform, ingest, platform_env, running_platform

pytestmark = pytest.mark.slow

TITLE = "Interop Test Pattern"
CLIP_S = 8  # two 4 s segments
FPS = 15  # pattern_clip's rate
FORMATS = ["hls", "dash"]

PLAYER_PAGE = """<!doctype html>
<meta charset="utf-8"><title>Shaka interop</title>
<video id="video" muted playsinline></video>
<script src="/shaka-player.js"></script>
<script>
window.failure = null;
async function play(url) {
  shaka.polyfill.installAll();
  const video = document.getElementById("video");
  const player = new shaka.Player();
  await player.attach(video);
  player.addEventListener("error", (event) => { window.failure = String(event.detail.code); });
  try {
    await player.load(url);
    await video.play();
  } catch (error) {
    window.failure = String(error.code || error);
  }
}
</script>
"""


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """A web origin other than the gateway's, serving a Shaka Player page (Shaka vendored by
    scripts/vendor, as the gateway serves hls.js and dash.js)."""

    async def page(_request: Request) -> HTMLResponse:
        return HTMLResponse(PLAYER_PAGE)

    async def shaka(_request: Request) -> FileResponse:
        return FileResponse(STATIC_DIR / "vendor" / "shaka-player.js")

    routes = [Route("/", page), Route("/shaka-player.js", shaka)]
    with serve_in_thread(Starlette(routes=routes)) as origin:
        yield origin


@pytest.fixture(scope="module")
def platform(
    tmp_path_factory: pytest.TempPathFactory, page_origin: str
) -> Iterator[RunningPlatform]:
    data_dir = tmp_path_factory.mktemp("interop")
    cors = {"VODSTACK_PLAYBACK__CORS_ORIGINS": json.dumps([page_origin]), **NO_QUALITY_REPORT}
    with running_platform(data_dir, extra_env=cors, timeout=300) as running:
        ingest(running, pattern_clip(data_dir / "source.mp4", CLIP_S), TITLE)
        yield running


def _cli(platform: RunningPlatform, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "vodstack", *args,
        "--gateway", platform.url, "--data-dir", str(platform.data_dir),
    ]  # fmt: skip


@contextmanager
def held_url(platform: RunningPlatform, kind: str) -> Iterator[str]:
    """`vodstack play --print-url`: the URL while the session is held, stopped on exit."""
    extra = ["--dash"] if kind == "dash" else []
    command = _cli(platform, "play", "--first-available", "--print-url", *extra)
    env = platform_env(platform.data_dir, platform.ports, {})
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        try:
            assert process.stdout is not None and process.stderr is not None
            url = process.stdout.readline().decode().strip()
            assert url.startswith("http"), process.stderr.read().decode()
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            # Its last heartbeat and the stop may each take a while on a loaded machine (two
            # DASH runs took over 30 s at load average 35); a hang guard, not a threshold.
            assert process.wait(timeout=120) == 0


def _video_frames(url: str) -> int:
    """Decode every video and audio frame of the stream with ffmpeg; the video frame count."""
    command = [
        ffmpeg_exe(), "-nostdin", "-v", "error", "-i", url, "-map", "0:v:0", "-map", "0:a:0",
        "-f", "null", "-", "-progress", "pipe:1",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # ffmpeg's HLS demuxer probes every variant of a master and its h264 parser (no codec
    # context yet: "[NULL @ ...]") complains about fMP4 samples while probing; every frame
    # still decodes (counted below). Errors of the decode itself name their codec or demuxer.
    problems = [line for line in result.stderr.splitlines() if not line.startswith("[NULL @")]
    assert not problems, result.stderr
    frames = re.findall(r"^frame=(\d+)$", result.stdout, re.M)
    return int(frames[-1])


@pytest.mark.parametrize("kind", FORMATS)
def test_ffmpeg_plays_the_stream_url_with_no_cookie(platform: RunningPlatform, kind: str) -> None:
    with held_url(platform, kind) as url:
        frames = _video_frames(url)
    assert frames == pytest.approx(CLIP_S * FPS, abs=FPS)


#: Debian 12's GStreamer (1.22) picks the legacy hlsdemux, which stops after the first segments
#: of fMP4 with a separate audio rendition; the adaptivedemux2 demuxers (plugins-good) play it,
#: under playbin3: under playbin, gst-launch now and then waits forever for buffering at 75 %.
GST_DEMUXERS = {"GST_PLUGIN_FEATURE_RANK": "hlsdemux2:MAX,dashdemux2:MAX"}
_GST_VIDEO_PTS = re.compile(r"vsink: last-message = chain .* pts: (\d+):(\d+):([\d.]+)")


@pytest.mark.parametrize("kind", FORMATS)
def test_gstreamer_plays_the_stream_url(platform: RunningPlatform, kind: str) -> None:
    launch = shutil.which("gst-launch-1.0")
    if launch is None:
        pytest.skip("needs gst-launch-1.0 (scripts/install --dev installs GStreamer)")
    # A fakesink that reports every video buffer: the last one's timestamp is how far it played.
    sink = "video-sink=fakesink name=vsink silent=false"
    with held_url(platform, kind) as url:
        command = [launch, "-v", "playbin3", f"uri={url}", sink, "audio-sink=fakesink"]
        env = {**os.environ, **GST_DEMUXERS}
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert _played_to_the_end(result) == pytest.approx(CLIP_S, abs=0.5)


def _played_to_the_end(result: subprocess.CompletedProcess[str]) -> float:
    """A `gst-launch-1.0 -v` run that reached EOS: the last video buffer's timestamp (s)."""
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "Got EOS from element" in result.stdout, result.stdout[-2000:]
    hours, minutes, seconds = _GST_VIDEO_PTS.findall(result.stdout)[-1]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


@pytest.mark.parametrize("kind", FORMATS)
def test_gstreamer_discovers_and_decodes_the_stream_url(
    platform: RunningPlatform, kind: str
) -> None:
    """What a GStreamer application does with a URL: `gst-discoverer-1.0` finds its length and
    streams, and `uridecodebin3` decodes video and audio to the end (GStreamer's own ranks)."""
    discoverer, launch = shutil.which("gst-discoverer-1.0"), shutil.which("gst-launch-1.0")
    if discoverer is None or launch is None:
        pytest.skip("needs gst-discoverer-1.0 and gst-launch-1.0 (scripts/install --dev)")
    decode = [
        "name=d", "d.", "!", "queue", "!", "video/x-raw", "!",
        "fakesink", "name=vsink", "silent=false", "sync=false",
        "d.", "!", "queue", "!", "audio/x-raw", "!", "fakesink", "sync=false",
    ]  # fmt: skip
    with held_url(platform, kind) as url:
        found = subprocess.run([discoverer, url], capture_output=True, text=True, timeout=120)
        command = [launch, "-v", "uridecodebin3", f"uri={url}", *decode]
        decoded = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stdout + found.stderr
    assert f"Duration: 0:00:{CLIP_S:02d}.0" in found.stdout, found.stdout
    assert re.search(r"video #\d+: H\.264", found.stdout), found.stdout
    assert re.search(r"audio #\d+: MPEG-4 AAC", found.stdout), found.stdout
    assert _played_to_the_end(decoded) == pytest.approx(CLIP_S, abs=0.5)


@pytest.mark.parametrize("kind", FORMATS)
def test_shaka_player_plays_the_stream_url_from_another_origin(
    platform: RunningPlatform, page_origin: str, kind: str
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM}")
    with held_url(platform, kind) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(page_origin + "/")
            page.evaluate("url => play(url)", url)
            page.wait_for_function(
                "() => window.failure || document.getElementById('video').ended",
                timeout=90_000,
            )
            failure = page.evaluate("window.failure")
            position = page.evaluate("document.getElementById('video').currentTime")
        finally:
            browser.close()
    assert failure is None
    assert position == pytest.approx(CLIP_S, abs=1.0)


def test_the_stream_url_and_its_segments_die_with_the_session(platform: RunningPlatform) -> None:
    with held_url(platform, "hls") as url:
        master = httpx.get(url)
        assert master.status_code == 200, master.text
        variant = next(line for line in master.text.splitlines() if line.endswith(".m3u8"))
        media = httpx.get(urljoin(url, variant))
        segment = next(line for line in media.text.splitlines() if line.startswith("http"))
        assert httpx.get(segment).status_code == 200
    # Ctrl-C (here SIGTERM) stopped the session: its manifests and segments are refused.
    assert httpx.get(url).json()["error"]["code"] == "session_ended"

    def revoked() -> bool:
        return httpx.get(segment).status_code == 403

    eventually(revoked, timeout_s=20, interval_s=0.2, message="the edge kept serving the segment")
    assert httpx.get(segment).json()["error"]["code"] == "token_revoked"


def test_play_runs_in_real_time_with_progress_and_the_edge_shows_it(
    platform: RunningPlatform,
) -> None:
    env = platform_env(platform.data_dir, platform.ports, {})
    command = _cli(platform, "play", "--first-available", "--from-start", "--json")
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    wall_s = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    report = PlaybackReport.model_validate_json(result.stdout)
    # Real time: the play cannot end before its media has played at 1x.
    assert wall_s >= report.played_s == pytest.approx(CLIP_S, abs=0.5)
    progress = [line for line in result.stderr.splitlines() if " / 0:08  " in line]
    assert len(progress) == len(report.segments), result.stderr
    match = re.search(r"  (v\d+p)  buffer [\d.]+ s  edge (edge-\S+)$", progress[-1])
    assert match is not None, progress[-1]
    assert match.group(1) == report.segments[-1].rendition
    edge = match.group(2)

    access_log = platform.data_dir / "edges" / edge / "access.log"

    def logged() -> bool:
        lines = access_log.read_text().splitlines() if access_log.exists() else []
        return all(
            any(f" 200 {f.size_bytes} " in line and line.endswith(f.path) for line in lines)
            for f in report.files
        )

    eventually(logged, timeout_s=20, interval_s=0.2, message=f"{access_log} lacks the segments")
    status = subprocess.run(
        [sys.executable, "-m", "vodstack", "status", "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    served = next(svc for svc in json.loads(status.stdout)["services"] if svc["name"] == edge)
    assert served["requests"] >= len(report.files)
    assert served["served_bytes"] >= report.downloaded_bytes
