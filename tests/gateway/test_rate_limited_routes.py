"""Login and sign-up are rate limited per client, on the API and on the forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.gateway import PASSWORD, Stack, make_settings, new_email, stack_for
from vodstack.config.settings import RateLimit
from vodstack.player.headless.gateway import GatewayError, GatewaySession


@pytest.fixture
def tight(tmp_path: Any) -> Iterator[Stack]:
    settings = make_settings(
        tmp_path,
        login_rate=RateLimit(per_minute=2, burst=2),
        signup_rate=RateLimit(per_minute=1, burst=1),
    )
    with stack_for(settings) as stack:
        yield stack


def test_login_over_the_limit_is_429_with_retry_after(tight: Stack) -> None:
    visitor = tight.visitor()
    body = {"email": "nobody@example.com", "password": "wrong password"}
    assert [visitor.post("/api/auth/login", json=body).status_code for _ in range(2)] == [401, 401]

    refused = visitor.post("/api/auth/login", json=body)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 30


def test_sign_up_over_the_limit_is_429(tight: Stack) -> None:
    visitor = tight.visitor()
    visitor.sign_up()
    refused = visitor.post(
        "/api/auth/signup", json={"email": "second@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


def test_the_login_form_shares_the_limit_and_shows_the_message(tight: Stack) -> None:
    visitor = tight.visitor()
    token = visitor.csrf_token()
    form = {"email": "nobody@example.com", "password": "wrong password", "csrf_token": token}
    assert visitor.post("/login", data=form).status_code == 401
    assert visitor.post("/api/auth/login", json=form).status_code == 401

    page = visitor.post("/login", data=form)
    assert page.status_code == 429
    assert "text/html" in page.headers["content-type"]
    assert "Retry-After" in page.headers
    assert 'id="form-error"' in page.text
    assert "Too many login attempts" in page.text
    assert 'value="nobody@example.com"' in page.text  # the form keeps what was typed


def test_the_headless_player_waits_out_a_429_on_log_in(tmp_path: Any) -> None:
    # One token a second: the third log-in in a row is refused with Retry-After: 1, and the
    # player (like a person reading the message) tries again once that second has passed.
    settings = make_settings(tmp_path, login_rate=RateLimit(per_minute=60, burst=2))
    with stack_for(settings) as stack:
        email = new_email()
        stack.visitor().sign_up(email)
        for _ in range(3):
            stack.client.cookies.clear()
            session = GatewaySession("http://testserver", client=stack.client)
            session.log_in(email, PASSWORD)
        assert any("429" in line and "rate_limited" in line for line in session.retries)
        assert session.get("/api/profiles").json()  # signed in after the wait


def test_a_wrong_password_is_not_retried_as_a_rate_limit(tight: Stack) -> None:
    session = GatewaySession("http://testserver", client=tight.client)
    with pytest.raises(GatewayError) as refused:
        session.log_in("nobody@example.com", "wrong password")
    assert refused.value.status == 401
    assert session.retries == []
