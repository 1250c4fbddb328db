"""Playback's replica of billing's subscribers (services/playback/entitlements.py), with the real
billing and playback apps: an account billing has never billed starts without a call, and once
it subscribes (and is cancelled) billing's feed makes playback ask again and refuse it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.services.playback.stack import Platform, inprocess_platform
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.clients.feed_replica import UNKNOWN
from vodstack.config.settings import PlaybackSettings
from vodstack.services.playback.entitlements import BillingReplica

NEW_ACCOUNT = 990_001


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with inprocess_platform(tmp_path, playback=PlaybackSettings(change_feed_s=0.05)) as running:
        yield running


def _replica(platform: Platform) -> BillingReplica:
    replica: BillingReplica = platform.playback_app.state.billed_accounts
    return replica


def _start(platform: Platform, title_id: int) -> tuple[int, dict[str, object]]:
    assert platform.playback is not None
    body = {"account_id": NEW_ACCOUNT, "profile_id": 1, "title_id": title_id,
            "maturity": "teen", "max_height": 1080, "max_streams": 50}  # fmt: skip
    response = platform.playback.post("/v1/sessions", json=body)
    answer: dict[str, object] = response.json()
    return response.status_code, answer


def _billing(platform: Platform, method: str, path: str, key: str, **kwargs: object) -> None:
    assert platform.billing_app is not None
    client = authorized(TestClient(platform.billing_app), platform.settings, "billing")
    headers = {"Idempotency-Key": key}
    response = client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert response.is_success, response.text


def test_a_new_subscription_in_billings_feed_ends_the_not_billed_answer(
    platform: Platform,
) -> None:
    title_id = platform.title()
    viewer = platform.viewer("standard")  # billed: asked, not answered by the replica
    eventually(lambda: _replica(platform).current, message="the replica never loaded")
    billed = int(viewer.get("/api/me/billing").json()["subscription"]["account_id"])
    assert _replica(platform).get(billed) is UNKNOWN, "named by the feed since the snapshot"
    assert _replica(platform).get(NEW_ACCOUNT) is None, "not billed, as of the feed"
    status, body = _start(platform, title_id)
    assert status == 201, body

    subscribe = {"account_id": NEW_ACCOUNT, "plan": "basic", "payment_method": "tok_visa"}
    _billing(platform, "POST", "/v1/subscriptions", "sub-new", json=subscribe)
    _billing(platform, "POST", f"/v1/subscriptions/{NEW_ACCOUNT}/cancel", "cancel-new")

    # Within `change_feed_s` the feed names the account: playback asks billing, which refuses.
    status, body = eventually(
        lambda: ((answer := _start(platform, title_id))[0] == 403 and answer) or None,
        message="an account billed since the snapshot still started as not billed",
    )
    error = body["error"]
    assert isinstance(error, dict) and error["code"] == "subscription_cancelled"
