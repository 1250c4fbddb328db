"""Time to first frame in a real browser: press play on the watch page, N times (issue 4).

Starts the real platform (`vodstack up`), encodes a generated clip with the real pipeline
(`vodstack ingest --wait`), logs the demo viewer in with Debian's Chromium (Playwright,
headless), then loads `/watch/{title}` N times. Each load is a fresh navigation, so a figure
covers everything a viewer waits for: the page and its scripts, the player library, the start
API, the master and media playlists from the gateway, the init and first segments from the edge,
decode, and the first frame painted (`requestVideoFrameCallback`).

    .venv/bin/python bench/ttff.py [--loads 20] [--format hls|dash] [--seconds 20]

Prints the first (edge-cold) load, then median and p90 over the rest (edge-warm); writes every
sample to `bench/results/ttff.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from vodstack.pipeline.media import pattern_clip
from vodstack.supervisor.launcher import RunningPlatform, ingest, running_platform

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
TITLE = "TTFF Bench Pattern"
RESULTS = Path(__file__).resolve().parent / "results" / "ttff.json"


def _log_in(page: Page, platform: RunningPlatform) -> int:
    logins = platform.logins()
    page.goto(platform.url + "/login")
    page.fill("#email", logins["viewer_email"])
    page.fill("#password", logins["viewer_password"])
    page.click("#login-submit")
    page.locator('[data-testid="pick-profile"]').first.click()
    page.wait_for_url(platform.url + "/")
    found = page.evaluate(f"() => window.vodstack.api('GET', '/api/search?q={TITLE}')")
    return int(found["items"][0]["id"])


def _load(page: Page, url: str) -> dict[str, float]:
    page.goto(url)
    page.wait_for_function("() => window.vodstackPlayer && window.vodstackPlayer.ttffMs !== null")
    sample: dict[str, float] = page.evaluate(
        "() => { const p = window.vodstackPlayer; return {ttff_ms: p.ttffMs,"
        " start_api_ms: p.startApiMs, play_requested_ms: p.playRequestedMs}; }"
    )
    page.goto("about:blank")  # pagehide stops the play session (the plan's stream slot)
    return sample


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def _report(samples: list[dict[str, float]], fmt: str) -> dict[str, object]:
    warm = [s["ttff_ms"] for s in samples[1:]] or [samples[0]["ttff_ms"]]
    api = [s["start_api_ms"] for s in samples]
    summary = {
        "format": fmt,
        "loads": len(samples),
        "cold_ttff_ms": round(samples[0]["ttff_ms"]),
        "warm_median_ttff_ms": round(statistics.median(warm)),
        "warm_p90_ttff_ms": round(_p90(warm)),
        "start_api_median_ms": round(statistics.median(api)),
        "samples": samples,
    }
    print(f"{fmt}: cold {summary['cold_ttff_ms']} ms; warm median {summary['warm_median_ttff_ms']}"
          f" ms, p90 {summary['warm_p90_ttff_ms']} ms (n={len(warm)}); start API median"
          f" {summary['start_api_median_ms']} ms")  # fmt: skip
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--format", choices=["hls", "dash"], default="hls")
    parser.add_argument("--seconds", type=int, default=20, help="length of the generated clip")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="vodstack-ttff-") as tmp,
        running_platform(Path(tmp)) as platform,
    ):
        began = time.monotonic()
        ingest(
            platform,
            pattern_clip(Path(tmp) / "clip.mp4", args.seconds, size="1280x720", fps=25),
            TITLE,
            timeout=1800,
        )
        print(f"encoded the clip in {time.monotonic() - began:.0f} s")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            title_id = _log_in(page, platform)
            url = f"{platform.url}/watch/{title_id}?format={args.format}"
            samples = [_load(page, url) for _ in range(args.loads)]
            browser.close()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(_report(samples, args.format), indent=2) + "\n")


if __name__ == "__main__":
    main()
