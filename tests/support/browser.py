"""Browser tests' page steps and artifact locations (fixtures are in tests/browser/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

from vodstack.supervisor.launcher import RunningPlatform

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip
CLIP_S = 20  # five 4 s segments: room for a quality switch and an edge failover


# Module scope, not session: while sync_playwright is open it keeps an event loop running in
# this thread, and every later test that calls asyncio.run() would fail.


def log_in(page: Page, platform: RunningPlatform, email: str, password: str) -> None:
    page.goto(platform.url + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_url(re.compile(r".*/profiles.*"))


def pick_first_profile(page: Page, platform: RunningPlatform) -> None:
    page.locator('[data-testid="pick-profile"]').first.click()
    page.wait_for_url(platform.url + "/")
