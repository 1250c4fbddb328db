"""Entitlement end to end: gateway -> playback -> billing. A cancelled account cannot start
playback; a past-due one can until its grace period ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services.playback.stack import Platform, inprocess_platform
from tests.support.billing import DAY_S
from tests.support.clock import FakeClock
from tests.support.gateway import Visitor
from tests.support.waiting import eventually
from vodstack.services.billing.dunning import Dunning


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def platform(tmp_path: Path, clock: FakeClock) -> Iterator[Platform]:
    with inprocess_platform(tmp_path, billing_clock=clock) as running:
        yield running


def _start(viewer: Visitor, title_id: int) -> tuple[int, dict[str, object]]:
    response = viewer.post(f"/api/playback/{title_id}/start")
    body: dict[str, object] = response.json()
    if response.status_code == 201:
        stopped = viewer.post(f"/api/playback/{body['play_session_id']}/stop", json={})
        assert stopped.status_code == 200
    return response.status_code, body


def _dunning(platform: Platform) -> Dunning:
    assert platform.billing_app is not None
    dunning: Dunning = platform.billing_app.state.dunning
    return dunning


def test_a_cancelled_account_is_refused_with_a_clear_message(platform: Platform) -> None:
    viewer = platform.viewer("standard")
    title_id = platform.title()
    assert viewer.get("/api/me/billing").json()["subscription"]["status"] == "active"
    assert _start(viewer, title_id)[0] == 201

    cancelled = viewer.post("/api/me/subscription/cancel", headers={"Idempotency-Key": "c1"})
    assert cancelled.status_code == 200, cancelled.text

    # Within `playback.change_feed_s` (playback keeps entitlements until billing's feed
    # lists the change; services/playback/entitlements.py).
    _, body = eventually(
        lambda: ((answer := _start(viewer, title_id))[0] == 403 and answer) or None,
        timeout_s=10,
        message="a cancelled subscription kept playing",
    )
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "subscription_cancelled"
    assert "Account page" in error["message"]

    restarted = viewer.post("/api/me/subscription", json={"payment_method": "tok_visa"})
    assert restarted.status_code == 201, restarted.text
    assert _start(viewer, title_id)[0] == 201


def test_a_past_due_account_plays_until_its_grace_period_ends(
    platform: Platform, clock: FakeClock
) -> None:
    viewer = platform.viewer("basic")
    title_id = platform.title()
    card = viewer.request("PUT", "/api/me/payment-method", json={"payment_method": "tok_decline"})
    assert card.status_code == 200, card.text
    clock.advance(30 * DAY_S)
    _dunning(platform).step()
    assert viewer.get("/api/me/billing").json()["subscription"]["status"] == "past_due"

    assert _start(viewer, title_id)[0] == 201  # within the grace period

    clock.advance(7 * DAY_S)
    # Within `playback.change_feed_s` of the sign-up: until billing's feed names the new
    # subscriber, playback's replica of the billed accounts answers it "not billed"
    # (services/playback/entitlements.py); the fake clock ran a month in far less.
    _, body = eventually(
        lambda: ((answer := _start(viewer, title_id))[0] == 403 and answer) or None,
        timeout_s=10,
        message="a past-due account played after its grace period",
    )
    assert body["error"]["code"] == "payment_past_due"  # type: ignore[index]

    viewer.request("PUT", "/api/me/payment-method", json={"payment_method": "tok_visa"})
    assert _start(viewer, title_id)[0] == 201
