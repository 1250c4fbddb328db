"""Idempotency keys over real HTTP: concurrent retries of one call charge once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.billing import billing_settings, billing_stack
from tests.support.servers import serve_in_thread
from tests.support.service_tokens import credentials
from vodstack.core.service_auth import ServiceAuth
from vodstack.services.billing.app import create_app
from vodstack.services.billing.provider import SimulatedProvider

RETRIES = 8


def test_concurrent_retries_with_one_key_charge_once(tmp_path: Path) -> None:
    # The provider answers slowly, so the retries arrive while the first call is charging.
    settings = billing_settings(tmp_path, latency_s=0.3, timeout_s=30)
    provider = SimulatedProvider(settings.billing.provider)
    body = {"account_id": 7, "plan": "premium", "payment_method": "tok_visa"}
    auth = ServiceAuth(credentials(settings), "billing")
    with serve_in_thread(create_app(settings, provider=provider)) as url:

        def post(_: int) -> httpx.Response:
            headers = {"Idempotency-Key": "signup-7"}
            return httpx.post(
                f"{url}/v1/subscriptions", json=body, headers=headers, auth=auth, timeout=60
            )

        with ThreadPoolExecutor(RETRIES) as pool:
            answers = list(pool.map(post, range(RETRIES)))
        again = post(0)

    assert [a.status_code for a in answers] == [201] * RETRIES
    assert len({a.text for a in answers}) == 1  # every retry got the first call's answer
    assert again.text == answers[0].text
    assert list(provider.captured.values()) == [1999]  # one charge, of one month of premium
    assert len(answers[0].json()["attempts"]) == 1


def test_the_same_key_with_another_body_is_refused(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        stack.subscribe(1, "basic")
        first = stack.send("PUT", "/v1/subscriptions/1/plan", "k1", json={"plan": "premium"})

        reused = stack.client.put(
            "/v1/subscriptions/1/plan",
            json={"plan": "standard"},
            headers={"Idempotency-Key": "k1"},
        )
        replay = stack.send("PUT", "/v1/subscriptions/1/plan", "k1", json={"plan": "premium"})

    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert replay == first
    assert len(stack.provider.captured) == 2  # the first period and one proration


def test_a_declined_charge_is_replayed_and_a_new_key_tries_again(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        body = {"account_id": 4, "plan": "basic", "payment_method": "tok_decline"}
        headers = {"Idempotency-Key": "a"}
        declined = stack.client.post("/v1/subscriptions", json=body, headers=headers)
        replayed = stack.client.post("/v1/subscriptions", json=body, headers=headers)
        retry = {**body, "payment_method": "tok_visa"}
        accepted = stack.send("POST", "/v1/subscriptions", "b", json=retry)

    assert declined.status_code == replayed.status_code == 402
    assert (
        declined.json()["error"]["code"] == replayed.json()["error"]["code"] == ("payment_declined")
    )
    assert "card_declined" in declined.json()["error"]["message"]
    assert accepted["subscription"]["status"] == "active"
    assert list(stack.provider.captured.values()) == [799]


def test_a_mutating_call_without_a_key_is_refused(tmp_path: Path) -> None:
    with billing_stack(tmp_path) as stack:
        body = {"account_id": 5, "plan": "basic"}
        response = stack.client.post("/v1/subscriptions", json=body)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.text
