"""Browser tests: Debian's Chromium driven by Playwright against a real platform (`vodstack up`).

One platform serves every browser test of the session (it takes ~20 s to start); the playable
title is a tiny clip the pipeline encodes once. A failing test leaves a screenshot and the
page's console log in `test-artifacts/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, CLIP_S
from vodstack.pipeline.media import pattern_clip
from vodstack.supervisor.launcher import RunningPlatform, ingest, running_platform

PLAYABLE_TITLE = "Browser Test Pattern"


@pytest.fixture(scope="module")
def playwright_session() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    launched = playwright_session.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM}")
    with running_platform(tmp_path_factory.mktemp("browser-platform")) as running:
        yield running


@pytest.fixture(scope="session")
def playable_title(platform: RunningPlatform) -> str:
    """The name of a title encoded by the real pipeline from a generated clip."""
    ingest(platform, pattern_clip(platform.data_dir / "pattern.mp4", CLIP_S), PLAYABLE_TITLE)
    return PLAYABLE_TITLE


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


def _save_artifacts(name: str, page: Page, console: list[str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
    except Exception as exc:  # a dead page must not hide the test's own failure
        console.append(f"(no screenshot: {exc})")
    (ARTIFACTS / f"{stem}.console.log").write_text("\n".join(console) + "\n")


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (own cookies) at a laptop size; artifacts saved on failure."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(20_000)
    opened = context.new_page()
    console: list[str] = []

    def record(message: ConsoleMessage) -> None:
        console.append(f"[{message.type}] {message.text}")

    opened.on("console", record)
    opened.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    yield opened
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        _save_artifacts(request.node.nodeid, opened, console)
    context.close()
