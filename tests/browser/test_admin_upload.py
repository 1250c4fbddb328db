"""Admin in a real browser: a resumable upload with a progress bar (surviving a dropped
connection), live job progress, VMAF per rendition, and the title becomes playable."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support.browser import log_in, pick_first_profile
from tests.support.waiting import eventually
from vodstack.pipeline.media import pattern_clip
from vodstack.supervisor.launcher import RunningPlatform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLICE_BYTES = 64 * 1024  # many slices for a small clip, so the bar moves and one can drop


def _reload_until_visible(page: Page, selector: str, timeout_s: float = 30) -> None:
    def visible() -> bool:
        if page.locator(selector).count():
            return True
        page.reload()
        return False

    eventually(visible, timeout_s=timeout_s, interval_s=1.0, message=f"{selector} never appeared")


def _as_admin(page: Page, platform: RunningPlatform) -> None:
    logins = platform.logins()
    log_in(page, platform, logins["admin_email"], logins["admin_password"])
    pick_first_profile(page, platform)


def _start_upload(page: Page, platform: RunningPlatform, source: Path, name: str) -> None:
    page.goto(platform.url + "/admin/upload")
    page.check("#target-new")
    page.fill("#new-name", name)
    page.set_input_files("#upload-file", str(source))
    page.locator("#upload-form").evaluate(
        f"(form) => {{ form.dataset.sliceBytes = '{SLICE_BYTES}'; }}"
    )
    page.click("#upload-submit")


def test_upload_follow_the_job_and_watch_the_title(
    page: Page, platform: RunningPlatform, tmp_path: Path
) -> None:
    _as_admin(page, platform)
    source = pattern_clip(tmp_path / "upload.mp4", 12)
    assert source.stat().st_size > 3 * SLICE_BYTES
    patches: list[str] = []
    heads: list[str] = []

    def drop_the_second_slice(route: Route) -> None:
        method = route.request.method
        if method == "PATCH":
            patches.append(route.request.headers.get("upload-offset", "?"))
            if len(patches) == 2:
                route.abort("connectionreset")
                return
        if method == "HEAD":
            heads.append(route.request.url)
        route.continue_()

    page.route(re.compile(r".*/api/admin/uploads/[^/]+$"), drop_the_second_slice)
    name = f"Uploaded Pattern {uuid.uuid4().hex[:6]}"
    _start_upload(page, platform, source, name)
    expect(page.locator("#upload-progress-box")).to_be_visible()
    job_link = page.locator("#upload-job-link")
    expect(job_link).to_be_visible(timeout=60_000)
    assert page.locator("#upload-progress").evaluate("(bar) => bar.value") == 100
    assert heads, "the dropped slice was resumed from the server's offset (HEAD)"
    expect(page.locator("#upload-status")).to_contain_text("resumed")

    job_link.click()
    expect(page.locator("#job-renditions [data-rendition]").first).to_be_visible(timeout=60_000)
    expect(page.locator("#job-state")).to_have_attribute("data-state", "succeeded", timeout=240_000)
    expect(page.locator("#job-quality [data-rendition]").first).to_be_visible(timeout=20_000)
    vmaf = float(page.locator("#job-quality .vmaf").first.inner_text())
    assert 0 < vmaf <= 100

    page.goto(platform.url + "/admin/jobs")
    row = page.locator("#jobs-body tr", has_text=name)
    expect(row).to_have_attribute("data-state", "succeeded")

    # The title's admin page shows VMAF too, once the catalog has heard of the publish (the
    # pipeline tells it through an outbox, within seconds).
    row.locator("a", has_text=name).click()
    _reload_until_visible(page, "#title-quality [data-rendition]")
    page.click("#title-watch")
    page.wait_for_function(
        "() => document.getElementById('video').currentTime > 1", timeout=30_000, polling=100
    )
    assert page.evaluate("() => window.vodstackPlayer.errors") == []
    page.goto("about:blank")


def test_a_file_that_is_not_video_is_refused_with_the_reason(
    page: Page, platform: RunningPlatform, tmp_path: Path
) -> None:
    _as_admin(page, platform)
    notes = tmp_path / "notes.mp4"
    notes.write_text("meeting notes, not a video\n" * 200)
    _start_upload(page, platform, notes, f"Not A Video {uuid.uuid4().hex[:6]}")
    error = page.locator("#upload-error")
    expect(error).to_be_visible(timeout=30_000)
    expect(error).to_contain_text("not a recognised audio/video format")
    expect(page.locator("#upload-job-link")).to_have_count(0)
