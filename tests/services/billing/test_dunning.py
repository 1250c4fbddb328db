"""Dunning on a fake clock: renewal, failed charges, past due with grace, then cancelled."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.billing import DAY_S, BillingStack, billing_settings, billing_stack
from tests.support.clock import FakeClock
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.services.billing.app import create_app


def _entitlement(stack: BillingStack, account_id: int) -> dict[str, object]:
    response = stack.client.get(f"/v1/entitlements/{account_id}")
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _card(stack: BillingStack, account_id: int, card: str, key: str) -> dict[str, object]:
    path = f"/v1/subscriptions/{account_id}/payment-method"
    body: dict[str, object] = stack.send("PUT", path, key, json={"payment_method": card})
    return body


def test_a_renewal_that_keeps_failing_goes_past_due_then_cancelled(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        stack.subscribe(1, "standard")
        _card(stack, 1, "tok_decline", "card-1")
        stack.clock.advance(30 * DAY_S)

        assert stack.dunning.step().renewed == 1
        overview = stack.client.get("/v1/subscriptions/1").json()
        assert overview["subscription"]["status"] == "past_due"
        assert overview["invoices"][0]["kind"] == "renewal"
        assert overview["invoices"][0]["attempts"] == 1
        grace = _entitlement(stack, 1)
        assert grace["entitled"] is True and grace["grace_until"] is not None

        # Retries 1, 3 and 5 days after each failure (the default schedule); the grace
        # period (7 days from the first failure) ends before the last one.
        stack.clock.advance(1 * DAY_S)
        assert stack.dunning.step().attempted == 1
        stack.clock.advance(3 * DAY_S)
        assert stack.dunning.step().attempted == 1
        assert stack.client.get("/v1/subscriptions/1").json()["subscription"]["status"] == (
            "past_due"
        )
        stack.clock.advance(3 * DAY_S)  # day 7 after the first failure: grace is over
        refused = _entitlement(stack, 1)
        assert refused["entitled"] is False and refused["code"] == "payment_past_due"

        stack.clock.advance(2 * DAY_S)
        assert stack.dunning.step().attempted == 1
        overview = stack.client.get("/v1/subscriptions/1").json()
        assert overview["subscription"]["status"] == "cancelled"
        assert overview["invoices"][0]["status"] == "uncollectible"
        assert overview["upcoming"] is None
        assert [a["outcome"] for a in overview["attempts"][:4]] == ["declined"] * 4
        cancelled = _entitlement(stack, 1)
        assert cancelled["entitled"] is False and cancelled["code"] == "subscription_cancelled"
        assert stack.dunning.step().attempted == 0  # nothing is charged any more


def test_a_new_card_settles_a_past_due_account_at_once(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        stack.subscribe(2, "basic")
        _card(stack, 2, "tok_insufficient", "card-1")
        stack.clock.advance(30 * DAY_S)
        stack.dunning.step()
        assert _entitlement(stack, 2)["status"] == "past_due"

        overview = _card(stack, 2, "tok_visa", "card-2")

        assert overview["subscription"]["status"] == "active"  # type: ignore[index]
        assert overview["invoices"][0]["status"] == "paid"  # type: ignore[index]
        assert _entitlement(stack, 2) == {
            "account_id": 2, "entitled": True, "status": "active",
            "code": None, "message": None, "grace_until": None,
        }  # fmt: skip


def test_a_paid_renewal_moves_the_period_and_uses_the_credit(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        first = stack.subscribe(3, "premium")
        stack.clock.advance(15 * DAY_S)  # half-way: a downgrade leaves half the difference
        stack.send("PUT", "/v1/subscriptions/3/plan", "down", json={"plan": "basic"})
        stack.clock.advance(15 * DAY_S)

        assert stack.dunning.step().renewed == 1

        overview = stack.client.get("/v1/subscriptions/3").json()
        renewal = overview["invoices"][0]
        assert renewal["status"] == "paid" and renewal["plan"] == "basic"
        assert renewal["amount_cents"] == 799 - 600  # the credit: (1999 - 799) / 2
        assert overview["subscription"]["credit_cents"] == 0
        assert overview["subscription"]["period_start"] == first["subscription"]["period_end"]
        assert stack.dunning.step().renewed == 0  # once per period


def test_the_service_runs_dunning_on_its_own_schedule(tmp_path: Path) -> None:
    settings = billing_settings(tmp_path)
    settings = settings.model_copy(
        update={"billing": settings.billing.model_copy(update={"dunning_interval_s": 0.05})}
    )
    clock = FakeClock()
    app = create_app(settings, clock=clock)
    with authorized(TestClient(app), settings, "billing") as client:
        body = {"account_id": 9, "plan": "basic"}
        first = client.post("/v1/subscriptions", json=body, headers={"Idempotency-Key": "s"})
        assert first.status_code == 201
        declining = {"payment_method": "tok_decline"}
        path = "/v1/subscriptions/9/payment-method"
        card = client.put(path, json=declining, headers={"Idempotency-Key": "c"})
        assert card.status_code == 200
        clock.advance(30 * DAY_S)

        def past_due() -> bool:
            overview = client.get("/v1/subscriptions/9").json()
            return bool(overview["subscription"]["status"] == "past_due")

        eventually(past_due, timeout_s=30, message="dunning never ran")
