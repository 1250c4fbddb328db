"""Issue 18 in a real browser: a profile that finished "Alpha" gets "Because you watched Alpha"
as its first row, with what Alpha's other viewers watched, from the recs service of a real
platform (`vodstack up`)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.waiting import eventually
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings
from vodstack.contracts.events import PlayStartEvent, StopEvent
from vodstack.contracts.recs import HomeRows
from vodstack.core.service_auth import ServiceAuth, ServiceCredentials
from vodstack.events.log import open_event_log
from vodstack.supervisor.launcher import RunningPlatform

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def publish_titles(platform: RunningPlatform, settings: Settings, names: list[str]) -> list[int]:
    auth = ServiceAuth(ServiceCredentials.from_settings(settings, "tests"), "catalog")
    ids = []
    with httpx.Client(base_url=platform.service_url("catalog"), auth=auth, timeout=30) as http:
        for name in names:
            body = {"name": name, "year": 2024, "maturity": "adult", "genres": ["Drama"]}
            created = http.post("/v1/titles", json=body)
            assert created.status_code == 201, created.text
            title_id = int(created.json()["id"])
            published = http.put(
                f"/v1/titles/{title_id}/availability",
                json={"availability": "available", "asset_version": "v1"},
            )
            assert published.status_code == 200, published.text
            ids.append(title_id)
    return ids


def finished(settings: Settings, profile: int, titles: list[int], start: datetime) -> None:
    """Profile `profile` watched `titles` to the end, in this order, as players report it."""
    log = open_event_log(settings)
    try:
        for step, title in enumerate(titles):
            at = start + timedelta(minutes=10 * step)
            common = {
                "profile_id": profile,
                "session_id": uuid.uuid4().hex,
                "title_id": title,
                "duration_s": 600.0,
                "region": "eu",
            }
            events = [
                PlayStartEvent(
                    type="play_start",
                    event_id=uuid.uuid4().hex,
                    at=at,
                    position_s=0,
                    startup_ms=300,
                    **common,
                ),
                StopEvent(
                    type="stop",
                    event_id=uuid.uuid4().hex,
                    at=at + timedelta(minutes=9),
                    position_s=600.0,
                    completed=True,
                    **common,
                ),
            ]
            for event in events:
                log.append(str(profile), event.model_dump_json().encode(), dedup_id=event.event_id)
    finally:
        log.close()


def trained_rows(url: str, settings: Settings, profile: int) -> HomeRows:
    """Train now, then the profile's rows (plain httpx: Playwright's sync API keeps an event
    loop running in this thread, so the async typed client cannot run here)."""
    auth = ServiceAuth(ServiceCredentials.from_settings(settings, "tests"), "recs")
    with httpx.Client(base_url=url, auth=auth, timeout=120) as http:
        http.post("/v1/train").raise_for_status()
        rows = http.get(
            f"/v1/profiles/{profile}/rows", params={"maturity": "adult", "region": "eu"}
        )
        rows.raise_for_status()
        return HomeRows.model_validate_json(rows.content)


def test_because_you_watched_leads_the_home_page(page: Page, platform: RunningPlatform) -> None:
    settings = with_secrets(load_settings(data_dir=platform.data_dir))
    tag = uuid.uuid4().hex[:6]
    alpha, bravo, charlie, delta, echo = publish_titles(
        platform,
        settings,
        [f"{word} {tag}" for word in ("Alpha", "Bravo", "Charlie", "Delta", "Echo")],
    )
    page.goto(platform.url + "/signup")
    page.fill("#email", f"recs-{tag}@example.com")
    page.fill("#password", "a long enough password")
    page.click("#signup-submit")
    page.wait_for_url(re.compile(r".*/profiles.*"))
    me = int(page.request.get(platform.url + "/api/profiles").json()[0]["id"])
    page.locator('[data-testid="pick-profile"]').first.click()
    page.wait_for_url(platform.url + "/")

    start = datetime.now(UTC) - timedelta(hours=2)
    for other in range(900_000, 900_012):
        trio = [alpha, bravo, charlie] if other % 2 else [delta, echo, bravo]
        finished(settings, other, trio, start)
    finished(settings, me, [delta, alpha], start + timedelta(minutes=40))

    def personal() -> HomeRows | None:
        rows = trained_rows(platform.service_url("recs"), settings, me)
        return rows if rows.rows and rows.rows[0].key == f"because-{alpha}" else None

    eventually(personal, timeout_s=120, interval_s=1.0, message="no 'Because you watched' row")

    page.goto(platform.url + "/")
    first = page.locator("section.row").first
    expect(first).to_have_attribute("data-row", f"because-{alpha}")
    expect(first.locator("h2")).to_have_text(f"Because you watched Alpha {tag}")
    tiles = first.locator(".tile")
    expect(tiles.first).to_be_visible()
    shown = {int(t.get_attribute("data-title-id") or 0) for t in tiles.all()}
    assert {charlie} <= shown and not {alpha, delta} & shown, shown
