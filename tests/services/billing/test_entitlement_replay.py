"""An entitlement is replayed from the answer cache until the subscription changes (a write:
cancel, dunning) or a running grace period ends by the clock, whichever comes first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.billing import DAY_S, BillingStack, billing_stack
from tests.support.replay import Watched
from vodstack.core.replay_path import ServiceApp


def _entitled(stack: BillingStack, account_id: int) -> bool:
    response = stack.client.get(f"/v1/entitlements/{account_id}")
    assert response.status_code == 200, response.text
    return bool(response.json()["entitled"])


def _watched(stack: BillingStack, monkeypatch: pytest.MonkeyPatch) -> Watched:
    app = stack.client.app
    assert isinstance(app, ServiceApp)
    return Watched(app, monkeypatch)


def test_a_cancel_is_seen_by_the_next_entitlement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_stack(tmp_path) as stack:
        watched = _watched(stack, monkeypatch)
        stack.subscribe(1, "standard")
        assert _entitled(stack, 1) and _entitled(stack, 1)
        assert watched.answered[-2:] == [False, True]  # the second from the cache
        stack.send("POST", "/v1/subscriptions/1/cancel", "cancel-1")
        stack.clock.advance(31 * DAY_S)
        assert stack.dunning.step().attempted == 0
        assert not _entitled(stack, 1)


def test_the_end_of_a_grace_period_is_seen_with_no_write_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with billing_stack(tmp_path) as stack:
        watched = _watched(stack, monkeypatch)
        stack.subscribe(1, "standard")
        stack.send("PUT", "/v1/subscriptions/1/payment-method", "card-1",
                   json={"payment_method": "tok_decline"})  # fmt: skip
        stack.clock.advance(30 * DAY_S)
        assert stack.dunning.step().renewed == 1  # declined: past due, 7 days of grace
        assert _entitled(stack, 1) and _entitled(stack, 1)
        assert watched.answered[-2:] == [False, True]
        stack.clock.advance(7 * DAY_S - 1)
        assert _entitled(stack, 1)
        stack.clock.advance(1)
        assert not _entitled(stack, 1)
