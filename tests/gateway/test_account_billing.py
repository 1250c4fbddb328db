"""The account page's subscription: plan, next invoice, history, and the forms that act once."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.gateway import (
    Stack,
    Visitor,
    cheap_passwords,
    make_settings,
    upstream_transports,
)
from tests.support.ports import free_port
from vodstack.gateway.app import create_app
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.catalog.app import create_app as create_catalog_app


def _form(visitor: Visitor, **fields: str) -> dict[str, str]:
    return {**fields, "csrf_token": visitor.csrf_token()}


def _form_key(page: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_account_page_shows_the_plan_next_invoice_and_history(stack: Stack) -> None:
    visitor = stack.viewer()  # signs up on Standard: the first month is charged at once
    page = visitor.get("/account").text
    assert 'data-status="active"' in page
    assert re.search(r'id="next-invoice">\$13\.99 on \d\d \w+ \d{4}', page)
    assert page.count('data-status="paid"') == 1  # the first invoice, in the history table

    upgraded = visitor.post(
        "/account/plan", data=_form(visitor, plan="premium", idempotency_key="u1")
    )
    assert upgraded.status_code == 303
    page = visitor.get("/account").text
    assert 'id="current-plan" data-plan="premium"' in page
    assert "Proration" in page and page.count('data-status="paid"') == 2
    assert 'id="next-invoice">$19.99' in page


def test_a_double_submitted_upgrade_is_charged_once(stack: Stack) -> None:
    visitor = stack.viewer()
    key = _form_key(visitor.get("/account").text)
    for _ in range(2):
        sent = visitor.post(
            "/account/plan", data=_form(visitor, plan="premium", idempotency_key=key)
        )
        assert sent.status_code == 303
    history = visitor.get("/api/me/billing").json()
    assert [i["kind"] for i in history["invoices"]] == ["proration", "first"]


def test_a_declined_upgrade_keeps_the_plan_and_says_why(stack: Stack) -> None:
    visitor = stack.viewer()
    card = visitor.post(
        "/account/payment-method", data=_form(visitor, payment_method="tok_decline")
    )
    assert card.status_code == 303
    refused = visitor.post("/account/plan", data=_form(visitor, plan="premium"))
    assert refused.status_code == 402
    assert "card_declined" in refused.text and "another payment method" in refused.text
    assert visitor.get("/api/me").json()["account"]["plan"]["code"] == "standard"


def test_cancel_and_restart_from_the_account_page(stack: Stack) -> None:
    visitor = stack.viewer()
    cancelled = visitor.post("/account/subscription/cancel", data=_form(visitor))
    assert cancelled.status_code == 303
    page = visitor.get(cancelled.headers["location"]).text
    assert 'data-status="cancelled"' in page and 'id="start-form"' in page
    assert 'id="next-invoice"' not in page
    started = visitor.post("/account/subscription", data=_form(visitor, payment_method="tok_visa"))
    assert started.status_code == 303
    assert 'data-status="active"' in visitor.get("/account").text


def test_the_account_page_works_with_billing_down(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings = settings.model_copy(update={"ports": {**settings.ports, "billing": free_port()}})
    accounts_app = create_accounts_app(settings, passwords=cheap_passwords())
    catalog_app = create_catalog_app(settings)
    with TestClient(accounts_app), TestClient(catalog_app):
        gateway = create_app(settings, transports=upstream_transports(accounts_app, catalog_app))
        with TestClient(gateway) as client:
            visitor = Visitor(client)
            visitor.sign_up()  # the account is created; its subscription waits for billing
            visitor.watch_as(visitor.first_profile_id())
            page = visitor.get("/account")
            assert page.status_code == 200
            assert 'data-status="unavailable"' in page.text
            assert 'id="billing-unavailable"' in page.text
            api = visitor.get("/api/me/billing")
            assert api.status_code == 503 and "billing" in api.json()["error"]["message"]
