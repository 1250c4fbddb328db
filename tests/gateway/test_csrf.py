"""Double-submit CSRF: unsafe requests must echo the `vodstack_csrf` cookie."""

from __future__ import annotations

from tests.support.gateway import PASSWORD, Stack, new_email
from vodstack.gateway.csrf import CSRF_COOKIE


def test_every_response_hands_out_a_strict_script_readable_token(stack: Stack) -> None:
    response = stack.visitor().get("/login")
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(f"{CSRF_COOKIE}=")
    )
    assert "SameSite=Strict" in cookie
    assert "HttpOnly" not in cookie
    assert "Path=/" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 32
    assert f'name="csrf_token" value="{token}"' in response.text  # the form carries it


def test_the_token_is_not_reissued_while_the_cookie_is_present(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.csrf_token()
    response = visitor.get("/api/plans")
    assert not any(h.startswith(CSRF_COOKIE) for h in response.headers.get_list("set-cookie"))


def test_api_post_without_token_is_403(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.csrf_token()  # the cookie is there, the header is not
    response = visitor.post(
        "/api/auth/signup", json={"email": new_email(), "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "csrf_failed"
    assert "X-CSRF-Token" in error["message"]


def test_api_post_with_a_wrong_token_is_403(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.csrf_token()
    response = visitor.post(
        "/api/auth/login",
        json={"email": new_email(), "password": PASSWORD},
        headers={"X-CSRF-Token": "forged-" + "x" * 40},
        csrf=False,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_unsafe_methods_all_need_the_token(stack: Stack) -> None:
    visitor = stack.viewer()
    for method, url in (
        ("PUT", "/api/me/plan"),
        ("PATCH", "/api/profiles/1"),
        ("DELETE", "/api/profiles/1"),
        ("POST", "/api/auth/logout"),
    ):
        response = visitor.request(method, url, json={}, csrf=False)
        assert response.status_code == 403, (method, url)
    assert visitor.get("/api/me").status_code == 200  # logout was refused


def test_form_post_without_the_field_is_403_page(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.csrf_token()
    response = visitor.post("/login", data={"email": new_email(), "password": PASSWORD}, csrf=False)
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "CSRF" in response.text


def test_form_post_with_the_field_passes(stack: Stack) -> None:
    visitor = stack.visitor()
    email = new_email()
    stack.visitor().sign_up(email)
    token = visitor.csrf_token()
    response = visitor.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}, csrf=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/profiles"
