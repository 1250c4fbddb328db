"""Profiles through the gateway: one household's profiles are invisible to another."""

from __future__ import annotations

from tests.support.gateway import Stack


def test_create_list_update_delete(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    kid = visitor.add_profile("Mia", "kids")

    names = [p["name"] for p in visitor.get("/api/profiles").json()]
    assert "Mia" in names and len(names) == 2

    renamed = visitor.request("PATCH", f"/api/profiles/{kid}", json={"name": "Mia B"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Mia B"

    assert visitor.request("DELETE", f"/api/profiles/{kid}").status_code == 204
    assert len(visitor.get("/api/profiles").json()) == 1


def test_selecting_a_profile_shows_in_me(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    kid = visitor.add_profile("Mia", "kids")
    session = visitor.watch_as(kid)
    assert session["profile"]["id"] == kid
    assert visitor.get("/api/me").json()["profile"]["maturity"] == "kids"


def test_pin_protected_profile(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    locked = visitor.add_profile("Parent", "adult", pin="4321")

    no_pin = visitor.post(f"/api/profiles/{locked}/select", json={})
    assert no_pin.status_code == 403 and no_pin.json()["error"]["code"] == "wrong_pin"
    wrong = visitor.post(f"/api/profiles/{locked}/select", json={"pin": "0000"})
    assert wrong.status_code == 403
    bad_shape = visitor.post(f"/api/profiles/{locked}/select", json={"pin": "12"})
    assert bad_shape.status_code == 422
    assert visitor.watch_as(locked, pin="4321")["profile"]["id"] == locked


def test_another_accounts_profile_is_not_found(stack: Stack) -> None:
    owner = stack.visitor()
    owner.sign_up()
    theirs = owner.first_profile_id()

    intruder = stack.visitor()
    intruder.sign_up()
    for method, url, body in (
        ("POST", f"/api/profiles/{theirs}/select", {}),
        ("PATCH", f"/api/profiles/{theirs}", {"name": "pwned"}),
        ("DELETE", f"/api/profiles/{theirs}", None),
    ):
        response = intruder.request(method, url, json=body)
        assert response.status_code in (403, 404), (method, response.text)
    assert owner.get("/api/profiles").json()[0]["name"] != "pwned"
    assert intruder.get("/api/me").json()["profile"] is None


def test_profile_fields_are_validated(stack: Stack) -> None:
    visitor = stack.visitor()
    visitor.sign_up()
    for body in (
        {"name": ""},
        {"name": "x" * 41},
        {"name": "Ok", "avatar_color": "red"},
        {"name": "Ok", "maturity": "toddler"},
        {"name": "Ok", "pin": "12345"},
    ):
        assert visitor.post("/api/profiles", json=body).status_code == 422, body
    assert visitor.get("/api/profiles/abc/select").status_code in (404, 405)
    assert visitor.request("DELETE", "/api/profiles/99999999999999999999").status_code == 422
