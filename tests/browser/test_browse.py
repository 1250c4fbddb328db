"""Issue 2 in a real browser: sign up, add a profile, pick it, search as you type, open a title."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import log_in, pick_first_profile
from vodstack.supervisor.launcher import RunningPlatform

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Viewers see only published titles (the demo catalog's are not, without demo media): the
# title the pipeline encodes for these tests is the one to find.
SEARCH = "browser test pat"


def test_sign_up_add_a_profile_search_as_you_type_and_open_a_title(
    page: Page, platform: RunningPlatform, playable_title: str
) -> None:
    page.goto(platform.url + "/signup")
    page.fill("#email", f"browser-{uuid.uuid4().hex[:10]}@example.com")
    page.fill("#password", "a long enough password")
    page.click("#signup-submit")
    page.wait_for_url(re.compile(r".*/profiles.*"))

    if not page.locator("#add-profile").get_attribute("open"):
        page.click("#add-profile-toggle")
    page.fill("#profile-name", "Robin")
    page.select_option("#profile-maturity", "adult")  # `vodstack ingest --title` makes adult titles
    page.click("#add-profile-submit")
    robin = page.locator('[data-testid="profile-tile"]', has_text="Robin")
    expect(robin).to_be_visible()

    robin.locator('[data-testid="pick-profile"]').click()
    page.wait_for_url(platform.url + "/")
    expect(page.locator("#current-profile")).to_have_attribute("title", re.compile("^Robin"))

    page.locator("#search-input").press_sequentially(SEARCH, delay=40)
    result = page.locator("#search-results [data-testid=poster]", has_text=playable_title)
    expect(result).to_be_visible()
    assert page.url == platform.url + "/"  # results came in place, no page load

    result.click()
    expect(page.locator("#title-name")).to_have_text(playable_title)
    expect(page.locator("#availability-badge")).to_be_visible()


def test_the_demo_viewer_sees_the_home_rows(
    page: Page, platform: RunningPlatform, playable_title: str
) -> None:
    logins = platform.logins()
    log_in(page, platform, logins["viewer_email"], logins["viewer_password"])
    pick_first_profile(page, platform)
    expect(page.locator("[data-testid=poster]").first).to_be_visible()
