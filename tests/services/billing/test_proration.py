"""Proration of a plan change for the rest of the period, and its charge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.billing import DAY_S, billing_stack
from vodstack.services.billing.proration import prorated_cents

START = datetime(2030, 1, 1, tzinfo=UTC)
PERIOD = (START, START + timedelta(days=30))


def test_proration_is_the_price_difference_for_the_time_left() -> None:
    assert prorated_cents(799, 1999, PERIOD, START) == 1200
    assert prorated_cents(799, 1999, PERIOD, START + timedelta(days=10)) == 800
    assert prorated_cents(1999, 799, PERIOD, START + timedelta(days=15)) == -600
    assert prorated_cents(799, 1999, PERIOD, PERIOD[1]) == 0
    assert prorated_cents(799, 1399, PERIOD, START + timedelta(days=29, hours=12)) == 10


def test_an_upgrade_is_charged_now_and_a_declined_one_changes_nothing(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        stack.subscribe(1, "basic")
        stack.clock.advance(20 * DAY_S)
        upgraded = stack.send("PUT", "/v1/subscriptions/1/plan", "up", json={"plan": "standard"})
        assert upgraded["subscription"]["plan"] == "standard"
        assert upgraded["invoices"][0]["kind"] == "proration"
        assert upgraded["invoices"][0]["amount_cents"] == 200  # (1399 - 799) / 3

        card = {"payment_method": "tok_decline"}
        stack.send("PUT", "/v1/subscriptions/1/payment-method", "card", json=card)
        refused = stack.client.put(
            "/v1/subscriptions/1/plan", json={"plan": "premium"}, headers={"Idempotency-Key": "p"}
        )
        assert refused.status_code == 402
        after = stack.client.get("/v1/subscriptions/1").json()
        assert after["subscription"]["plan"] == "standard"
        assert after["invoices"][0]["status"] == "void"
