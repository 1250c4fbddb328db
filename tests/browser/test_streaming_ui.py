"""Issue 14 (points 3, 4) in a real browser: episodes that play one by one and offer the next,
My List, rows that scroll, and how the pages look at desktop and phone widths.

Screenshots go to a temporary directory (printed; never committed). The looks are also checked
by measuring element boxes: no tile cut at a row's edge, player controls never over the picture.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from tests.browser.test_watch import _wait
from tests.support.browser import log_in, pick_first_profile
from vodstack.pipeline.media import pattern_clip
from vodstack.supervisor.launcher import RunningPlatform, gateway_client, platform_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EPISODE_S = 20  # resume needs a stop more than 10 s before the end (playback.END_MARGIN_S)
SERIES = "Browser Test Series"
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


def _ingest_episode(platform: RunningPlatform, series_id: int, number: int) -> None:
    clip = pattern_clip(platform.data_dir / f"episode-{number}.mp4", EPISODE_S)
    env = platform_env(platform.data_dir, platform.ports, {})
    command = [sys.executable, "-m", "vodstack", "ingest", str(clip), "--series", str(series_id)]
    command += ["--season", "1", "--episode", str(number), "--wait"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def series(platform: RunningPlatform) -> dict[str, int]:
    """A series with two episodes, each with its own media (`vodstack ingest --series`)."""
    logins = platform.logins()
    with gateway_client(platform) as admin:
        body = {"email": logins["admin_email"], "password": logins["admin_password"]}
        assert admin.post("/api/auth/login", json=body).status_code == 200
        profile = admin.get("/api/profiles").json()[0]["id"]
        admin.post(f"/api/profiles/{profile}/select", json={})
        seasons = [
            {
                "number": 1,
                "episodes": [{"number": 1, "name": "Pilot"}, {"number": 2, "name": "Two"}],
            }
        ]
        created = admin.post(
            "/api/admin/titles",
            json={"name": SERIES, "kind": "series", "year": 2024, "genres": ["Drama"],
                  "maturity": "teen", "seasons": seasons},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        title = created.json()
    for number in (1, 2):
        _ingest_episode(platform, title["id"], number)
    first, second = (ep["id"] for ep in title["seasons"][0]["episodes"])
    return {"series": title["id"], "first": first, "second": second}


@pytest.fixture(scope="module")
def shots() -> Path:
    # Outside pytest's temporary tree (it keeps only the last few runs): left for a person to
    # look at after the run, never committed.
    directory = Path(tempfile.mkdtemp(prefix="vodstack-screenshots-"))
    print(f"screenshots: {directory}")
    return directory


def _viewer(page: Page, platform: RunningPlatform) -> None:
    logins = platform.logins()
    log_in(page, platform, logins["viewer_email"], logins["viewer_password"])
    pick_first_profile(page, platform)


def _admin(page: Page, platform: RunningPlatform) -> None:
    logins = platform.logins()
    log_in(page, platform, logins["admin_email"], logins["admin_password"])
    pick_first_profile(page, platform)


def _start(page: Page) -> dict[str, Any]:
    _wait(page, "() => window.vodstackPlayer.start && window.vodstackPlayer.start.title_id > 0")
    start: dict[str, Any] = page.evaluate("() => window.vodstackPlayer.start")
    return start


def _seek_near_end(page: Page, left_s: float) -> None:
    _wait(page, "() => document.getElementById('video').duration > 0")
    page.evaluate("(left) => { const v = video; v.currentTime = v.duration - left; }", left_s)


def _until_reloaded(page: Page, selector: str, tries: int = 50) -> None:
    """The history consumer runs a moment behind the players' events: reload until it shows."""
    for _ in range(tries):
        if page.locator(selector).count():
            return
        page.wait_for_timeout(200)
        page.reload()
    raise AssertionError(f"{selector} never appeared")


def test_episodes_play_one_by_one_resume_and_offer_the_next(
    page: Page, platform: RunningPlatform, series: dict[str, int], shots: Path
) -> None:
    _viewer(page, platform)
    page.goto(f"{platform.url}/title/{series['series']}")
    expect(page.locator("#play-button")).to_have_attribute("data-play-id", str(series["first"]))
    for number in ("first", "second"):  # each episode's still is a frame of its own video
        still = page.locator(f'.episode[data-episode-id="{series[number]}"] .ep-still img')
        expect(still).to_have_attribute("src", f"/artwork/{series[number]}/image")
        _wait(page, f"() => document.querySelector('{_still(series[number])}').naturalWidth > 0")
    page.locator('.episode[data-episode="1.1"] .ep-play').click()
    page.wait_for_url(f"**/watch/{series['first']}")
    expect(page.locator("#watch-episode")).to_contain_text("S1:E1")
    assert _start(page)["title_id"] == series["first"]
    _wait(page, "() => document.getElementById('video').currentTime > 0.5")

    # Near the end the next episode is offered; Cancel lets this one end where it is.
    _seek_near_end(page, 3)
    expect(page.locator("#next-up")).to_be_visible()
    expect(page.locator("#next-up")).to_contain_text("Two")
    page.screenshot(path=str(shots / "next-up-desktop.png"))
    page.click("#next-up-cancel")
    expect(page.locator("#next-up")).to_be_hidden()
    _wait(page, "() => document.getElementById('video').ended", 20)
    assert page.url.endswith(f"/watch/{series['first']}")

    # Left alone, the countdown moves on to episode 2, which plays its own media.
    page.reload()
    _start(page)
    _seek_near_end(page, 2)
    expect(page.locator("#next-up")).to_be_visible()
    page.wait_for_url(f"**/watch/{series['second']}", timeout=25_000)
    second = _start(page)
    assert second["title_id"] == series["second"] and second["asset_path"] != ""
    _wait(page, "() => document.getElementById('video').currentTime > 4", 30)
    page.evaluate("() => document.getElementById('video').pause()")

    # Each episode keeps its own progress: the title page shows it, episode 2 resumes.
    page.goto(f"{platform.url}/title/{series['series']}")
    _until_reloaded(page, '.episode[data-episode="1.2"] .episode-progress')
    expect(page.locator('.episode[data-episode="1.1"] .episode-progress')).to_have_attribute(
        "value", "100"
    )
    expect(page.locator("#play-button")).to_contain_text("Resume S1:E2")
    # Opened and left before it plays (its media held back), episode 2 keeps its place: the
    # player sends no stop at 0 over the resume point. Episode 1, watched, starts over.
    page.route("**/*.m4s", lambda route: route.abort())
    page.goto(f"{platform.url}/watch/{series['second']}")
    assert _start(page)["resume_position_s"] > 3
    assert _stops_on_leaving(page) == []
    page.unroute("**/*.m4s")
    # "From the beginning" beside Resume starts episode 2 at the top, past its resume point.
    page.goto(f"{platform.url}/title/{series['series']}")
    page.locator("#play-from-start").click()
    page.wait_for_url(f"**/watch/{series['second']}?t=0")
    assert _start(page)["resume_position_s"] > 3
    _wait(page, "() => window.vodstackPlayer.ttffMs !== null", 30)
    assert page.evaluate("() => document.getElementById('video').currentTime") < 2
    page.goto(f"{platform.url}/watch/{series['first']}")
    assert _start(page)["resume_position_s"] == 0  # watched to the end: starts over
    _wait(page, "() => document.getElementById('video').currentTime > 1", 30)
    assert [e["title_id"] for e in _stops_on_leaving(page)] == [series["first"]]
    page.goto("about:blank")


def _still(episode_id: int) -> str:
    return f'.episode[data-episode-id="{episode_id}"] .ep-still img'


def _stops_on_leaving(page: Page) -> list[dict[str, Any]]:
    """The stop events the player hands to its beacon when the page is hidden (the beacon is
    caught in the page, so what it would send is read back exactly)."""
    _wait(page, "() => window.vodstackPlayer.events !== undefined")  # the reporter is wired
    batches: list[str] = page.evaluate(
        """() => {
            const sent = [];
            navigator.sendBeacon = (url, form) => { sent.push(form.get('events')); return true; };
            window.dispatchEvent(new PageTransitionEvent('pagehide'));
            return sent;
        }"""
    )
    events = [event for batch in batches for event in json.loads(batch)["events"]]
    return [event for event in events if event["type"] == "stop"]


def test_my_list_from_a_tile_and_the_title_page(
    page: Page, platform: RunningPlatform, playable_title: str, series: dict[str, int]
) -> None:
    _viewer(page, platform)
    tile = page.locator(f'[data-row="new"] .tile[data-title-id="{series["series"]}"]')
    toggle = tile.locator("[data-list-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.reload()
    listed = page.locator(f'#row-my-list .tile[data-title-id="{series["series"]}"]')
    expect(listed).to_be_visible()

    page.goto(f"{platform.url}/title/{series['series']}")
    on_page = page.locator(".title-info [data-list-toggle]")
    expect(on_page).to_have_attribute("aria-pressed", "true")
    on_page.click()
    expect(on_page).to_have_attribute("aria-pressed", "false")
    page.goto(f"{platform.url}/")
    expect(page.locator("#row-my-list")).to_have_count(0)


def _row_state(page: Page, row: str) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        """(row) => {
            const scroller = document.querySelector(`[data-row="${row}"] .row-scroller`);
            const box = scroller.getBoundingClientRect();
            const pad = parseFloat(getComputedStyle(scroller).paddingLeft);
            const left = box.left + pad - 1, right = box.right - pad + 1;
            const cut = [...scroller.querySelectorAll('.tile')].filter((tile) => {
                const t = tile.getBoundingClientRect();
                const inside = t.left >= left && t.right <= right;
                const outside = t.right <= left + 2 || t.left >= right - 2;
                return !inside && !outside;
            }).map((tile) => tile.dataset.titleId);
            return {scroll: scroller.scrollLeft, cut,
                    prev: !scroller.parentElement.querySelector('.row-prev').hidden,
                    next: !scroller.parentElement.querySelector('.row-next').hidden};
        }""",
        row,
    )
    return state


def _settled(page: Page, row: str) -> dict[str, Any]:
    """The row's state once smooth scrolling and snapping have stopped."""
    last = _row_state(page, row)
    for _ in range(40):
        page.wait_for_timeout(150)
        now = _row_state(page, row)
        if now["scroll"] == last["scroll"]:
            return now
        last = now
    return last


@pytest.fixture
def touch_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, has_touch=True)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def test_rows_scroll_with_buttons_keys_and_touch(
    touch_page: Page, platform: RunningPlatform
) -> None:
    page = touch_page
    # An admin's rows include the demo catalogue still being processed: long enough to scroll.
    _admin(page, platform)
    first = _settled(page, "new")
    assert first["scroll"] == 0 and not first["prev"] and first["next"] and first["cut"] == []

    page.click('[data-row="new"] .row-next')
    paged = _settled(page, "new")
    assert paged["scroll"] > 0 and paged["prev"] and paged["cut"] == []
    page.click('[data-row="new"] .row-prev')
    assert _settled(page, "new")["scroll"] == 0

    page.locator('[data-row="new"] .tile a').first.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    keyed = _settled(page, "new")
    focused = page.evaluate(
        "() => document.activeElement.closest('.tile').getBoundingClientRect().right"
    )
    assert keyed["scroll"] > 0 and focused <= DESKTOP["width"]

    page.evaluate("() => document.querySelector('[data-row=\"new\"] .row-scroller').scrollTo(0, 0)")
    _settled(page, "new")
    box = page.locator('[data-row="new"] .row-scroller').bounding_box()
    assert box is not None
    _swipe(page, box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2, -400)
    swiped = _settled(page, "new")
    assert swiped["scroll"] > 0 and swiped["cut"] == []  # snapping lands on whole tiles


def _swipe(page: Page, x: float, y: float, dx: float) -> None:
    """A finger dragged across the page: Chromium's real touch input, scrolling included."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, at: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": at, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", x)
    for step in range(1, 11):
        touch("touchMove", x + dx * step / 10)
        page.wait_for_timeout(16)
    touch("touchEnd", x + dx)


def _images_loaded(page: Page) -> None:
    """Every image in the window has arrived (lazy ones further down load when scrolled to)."""
    _wait(
        page,
        """() => [...document.images].filter((img) => {
            const r = img.getBoundingClientRect();
            return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
        }).every((img) => img.complete)""",
        20,
    )


def _fits_the_window(page: Page) -> None:
    """Nothing runs off the side: the page is no wider than the window (rows scroll inside)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def _video_boxes(page: Page) -> dict[str, Any]:
    boxes: dict[str, Any] = page.evaluate(
        """() => {
            const video = document.getElementById('video');
            const v = video.getBoundingClientRect();
            const scale = Math.min(v.width / video.videoWidth, v.height / video.videoHeight);
            const w = video.videoWidth * scale, h = video.videoHeight * scale;
            const picture = {left: v.left + (v.width - w) / 2, top: v.top + (v.height - h) / 2,
                             width: w, height: h};
            picture.right = picture.left + w; picture.bottom = picture.top + h;
            const box = (el) => { const r = el.getBoundingClientRect();
                return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
            return {picture, controls: box(document.getElementById('player-controls')),
                    top: box(document.querySelector('.player-top')),
                    window: {width: innerWidth, height: innerHeight}};
        }"""
    )
    return boxes


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"] - 1
        and b["left"] < a["right"] - 1
        and (a["top"] < b["bottom"] - 1 and b["top"] < a["bottom"] - 1)
    )


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_pages_look_right_at_desktop_and_phone_widths(
    browser: Browser,
    platform: RunningPlatform,
    playable_title: str,
    series: dict[str, int],
    shots: Path,
    size: ViewportSize,
) -> None:
    context = browser.new_context(viewport=size, has_touch=size is PHONE)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    name = "desktop" if size is DESKTOP else "phone"
    try:
        _admin(page, platform)
        _images_loaded(page)
        page.screenshot(path=str(shots / f"home-admin-{name}.png"))
        _fits_the_window(page)
        for row in page.locator(".row").all():
            slug = row.get_attribute("data-row") or ""
            assert _row_state(page, slug)["cut"] == [], f"a tile is cut in row {slug}"
        page.goto(f"{platform.url}/profiles")
        page.context.clear_cookies()
        _viewer(page, platform)
        expect(page.locator("#billboard")).to_be_visible()
        _images_loaded(page)
        page.screenshot(path=str(shots / f"home-{name}.png"), full_page=True)
        _fits_the_window(page)
        page.goto(f"{platform.url}/title/{series['series']}")
        _images_loaded(page)
        page.screenshot(path=str(shots / f"title-{name}.png"), full_page=True)
        _fits_the_window(page)
        still = page.locator(_still(series["first"])).bounding_box()
        assert still is not None and abs(still["width"] / still["height"] - 16 / 9) < 0.05

        # From the top: the bars must fade while it plays, well before the episode ends.
        page.goto(f"{platform.url}/watch/{series['first']}?t=0")
        _wait(page, "() => document.getElementById('video').currentTime > 0.5")
        boxes = _video_boxes(page)
        page.screenshot(path=str(shots / f"watch-{name}.png"))
        assert boxes["picture"]["width"] > size["width"] * 0.9 or (
            boxes["picture"]["height"] > (size["height"] - 200) * 0.9
        ), boxes  # the picture fills the window
        assert not _overlap(boxes["picture"], boxes["controls"]), boxes
        assert not _overlap(boxes["picture"], boxes["top"]), boxes
        assert boxes["controls"]["right"] <= size["width"] and boxes["controls"]["left"] >= 0
        # Left alone while playing, the bars fade away (and the picture stays where it was).
        page.mouse.move(5, 5)
        _wait(page, "() => document.getElementById('player').classList.contains('idle')", 10)
        expect(page.locator("#player-controls")).to_have_css("opacity", "0")
        still = _video_boxes(page)["picture"]
        # (a rendition switch may change the aspect by a fraction of a pixel)
        assert all(abs(still[k] - boxes["picture"][k]) < 1.5 for k in still), (still, boxes)
        page.screenshot(path=str(shots / f"watch-idle-{name}.png"))
        page.goto("about:blank")
        assert [url for url in errors if "/thumbs/" in url] == []
    finally:
        context.close()


def test_player_skips_thumbnails_of_a_preview_version(
    page: Page, platform: RunningPlatform, series: dict[str, int]
) -> None:
    """A preview version has no thumbnails: the player must not ask for them (no 404s)."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    _viewer(page, platform)
    page.route("**/api/playback/*/start*", _serve_as_preview)
    page.goto(f"{platform.url}/watch/{series['first']}")
    _wait(page, "() => document.getElementById('video').currentTime > 1", 30)
    assert _start(page)["asset_version"].endswith("-preview")
    assert [url for url in requested if "/thumbs/" in url] == []
    page.goto("about:blank")


def _serve_as_preview(route: Route) -> None:
    # One upstream call per intercepted start: a second would open a second session, which a
    # plan's stream limit may refuse (that refusal has no asset_version).
    response = route.fetch()
    route.fulfill(response=response, json=_as_preview(response.json()))


def _as_preview(start: dict[str, Any]) -> dict[str, Any]:
    # Only the version's name changes: the player decides from it, the media stays playable.
    return {**start, "asset_version": start["asset_version"] + "-preview"}
