"""Billing's change feed: every committed change of a subscription lists its account (what
playback's kept entitlements are dropped by); reads and other accounts list nothing."""

from __future__ import annotations

from pathlib import Path

from tests.support.billing import DAY_S, BillingStack, billing_stack


def _changes(stack: BillingStack, after: int) -> dict[str, object]:
    response = stack.client.get("/v1/entitlements/changes", params={"after": after})
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def _cursor(stack: BillingStack) -> int:
    return int(str(_changes(stack, 0)["cursor"]))


def test_every_change_of_a_subscription_lists_its_account(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        stack.subscribe(1)
        stack.subscribe(2)
        start = _cursor(stack)
        assert _changes(stack, start) == {"cursor": start, "ids": [], "complete": True}

        stack.client.get("/v1/entitlements/1")
        stack.client.get("/v1/subscriptions/2")
        assert _changes(stack, start)["ids"] == [], "reads change nothing"

        stack.send("POST", "/v1/subscriptions/1/cancel", "cancel-1")
        after = _changes(stack, start)
        assert after["ids"] == [1]
        cursor = int(str(after["cursor"]))

        # A renewal that fails (dunning, in the background) is a change too.
        stack.send("PUT", "/v1/subscriptions/2/payment-method", "card-2",
                   json={"payment_method": "tok_decline"})  # fmt: skip
        stack.clock.advance(30 * DAY_S)
        assert stack.dunning.step().renewed == 1
        assert _changes(stack, cursor)["ids"] == [2]


def test_the_feed_is_for_services_only(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        refused = stack.client.get("/v1/entitlements/changes", auth=None)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "service_token_required"


def test_the_billed_snapshot_lists_every_subscriber_as_of_the_feeds_cursor(
    tmp_path: Path,
) -> None:
    with billing_stack(tmp_path) as stack:
        assert stack.client.get("/v1/entitlements/billed").json() == {
            "cursor": 0, "accounts": [], "complete": True,
        }  # fmt: skip
        stack.subscribe(2)
        stack.subscribe(1)
        stack.send("POST", "/v1/subscriptions/2/cancel", "cancel-2")
        snapshot = stack.client.get("/v1/entitlements/billed").json()
        assert snapshot["accounts"] == [1, 2], "cancelled ones too: billing answers them"
        assert snapshot["cursor"] == _cursor(stack)
        assert _changes(stack, snapshot["cursor"])["ids"] == []
        stack.subscribe(3)
        assert _changes(stack, snapshot["cursor"])["ids"] == [3], "what came after: in the feed"

        too_many = stack.client.get("/v1/entitlements/billed", params={"limit": 2}).json()
        assert too_many == {"cursor": _cursor(stack), "accounts": [], "complete": False}
