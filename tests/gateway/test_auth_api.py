"""Signing up, logging in and out through `/api/auth`, and the session cookie."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.support.gateway import (
    PASSWORD,
    Stack,
    Visitor,
    make_settings,
    new_email,
    stack_for,
)
from vodstack.gateway.sessions import SESSION_COOKIE


def _set_cookie(headers: list[str], name: str) -> str:
    return next(h for h in headers if h.startswith(f"{name}="))


def test_sign_up_sets_an_http_only_session_cookie_and_returns_the_session(stack: Stack) -> None:
    visitor = stack.visitor()
    email = new_email()
    response = visitor.post("/api/auth/signup", json={"email": email, "password": PASSWORD})

    assert response.status_code == 201
    body = response.json()
    assert body["account"]["email"] == email
    assert body["plan"]["code"] == "standard"
    assert body["profile"] is None
    assert "session_id" not in body  # the id only ever travels as an HttpOnly cookie
    cookie = _set_cookie(response.headers.get_list("set-cookie"), SESSION_COOKIE)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # cookie_secure is off in local mode
    assert visitor.get("/api/me").json()["account"]["email"] == email


def test_sign_up_with_a_plan(stack: Stack) -> None:
    visitor = stack.visitor()
    response = visitor.post(
        "/api/auth/signup",
        json={"email": new_email(), "password": PASSWORD, "plan": "premium"},
    )
    assert response.status_code == 201
    assert response.json()["plan"]["code"] == "premium"


def test_log_out_then_log_in_again(stack: Stack) -> None:
    visitor = stack.visitor()
    email = visitor.sign_up()["account"]["email"]

    assert visitor.post("/api/auth/logout").status_code == 204
    me = visitor.get("/api/me")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "login_required"

    response = visitor.log_in(email)
    assert response.status_code == 200
    assert response.json()["account"]["email"] == email
    assert visitor.get("/api/me").status_code == 200


def test_log_out_ends_the_session_on_the_server_too(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    stolen = visitor.cookies[SESSION_COOKIE]
    visitor.post("/api/auth/logout")

    thief = stack.visitor()
    thief.cookies.set(SESSION_COOKIE, stolen)
    assert thief.get("/api/me").status_code == 401


def test_wrong_password_is_401(stack: Stack) -> None:
    visitor = stack.visitor()
    email = visitor.sign_up()["account"]["email"]
    response = stack.visitor().log_in(email, "not the password")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_credentials"
    assert response.json()["error"]["message"]


def test_duplicate_email_is_409(stack: Stack) -> None:
    email = new_email()
    stack.visitor().sign_up(email)
    response = stack.visitor().post(
        "/api/auth/signup", json={"email": email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


def test_malformed_and_over_long_fields_are_422(stack: Stack) -> None:
    visitor = stack.visitor()
    bad_bodies = [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": new_email(), "password": "short"},
        {"email": "a" * 250 + "@example.com", "password": PASSWORD},
        {"email": new_email(), "password": "x" * 129},
        {"email": new_email(), "password": PASSWORD, "plan": "platinum"},
        {"password": PASSWORD},
    ]
    for body in bad_bodies:
        response = visitor.post("/api/auth/signup", json=body)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert error["details"], body
    login = visitor.post("/api/auth/login", json={"email": "x" * 300, "password": "p"})
    assert login.status_code == 422


def test_a_forged_or_malformed_session_cookie_is_just_logged_out(stack: Stack) -> None:
    visitor = stack.visitor()
    for value in ("../../v1/plans", "tooshort", "A" * 43):
        visitor.cookies.set(SESSION_COOKIE, value)
        response = visitor.get("/api/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "login_required"


def test_plans_are_public_and_the_plan_can_be_changed(stack: Stack) -> None:
    visitor = stack.visitor()
    codes = [plan["code"] for plan in visitor.get("/api/plans").json()]
    assert codes == ["basic", "standard", "premium"]

    visitor.sign_up()
    changed = visitor.request("PUT", "/api/me/plan", json={"plan": "basic"})
    assert changed.status_code == 200
    assert changed.json()["plan"]["code"] == "basic"
    # The cached session was invalidated, so /api/me shows the new plan at once.
    assert visitor.get("/api/me").json()["plan"]["code"] == "basic"


def test_production_mode_marks_the_session_cookie_secure(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, mode="production", secret_key="s" * 48)
    with (
        stack_for(settings) as running,
        TestClient(running.gateway, base_url="https://testserver") as https,
    ):
        body = {"email": new_email(), "password": PASSWORD}
        response = Visitor(https).post("/api/auth/signup", json=body)
    assert response.status_code == 201, response.text
    cookies = response.headers.get_list("set-cookie")
    assert "Secure" in _set_cookie(cookies, SESSION_COOKIE)
    assert all("Secure" in cookie for cookie in cookies), "the CSRF cookie too"
