"""The accounts service over HTTP: status codes, error bodies, and the typed client."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.clock import FakeClock
from tests.support.service_tokens import authorized
from vodstack.clients.accounts import AccountsClient
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import load_settings
from vodstack.contracts.accounts import (
    AdminAccountCreate,
    Credentials,
    PlanCode,
    ProfileCreate,
    ProfileSelect,
    ProfileUpdate,
    Role,
    SignUp,
)
from vodstack.core.errors import UpstreamError
from vodstack.core.service_auth import ServiceAuth
from vodstack.services.accounts.app import create_app
from vodstack.services.accounts.passwords import Passwords

PASSWORD = "correct horse battery"
TTL_S = 3600


@pytest.fixture
def client(tmp_path: Path, passwords: Passwords, clock: FakeClock) -> Iterator[TestClient]:
    settings = with_secrets(load_settings(data_dir=tmp_path, session_ttl_s=TTL_S))
    with TestClient(create_app(settings, passwords=passwords, clock=clock)) as test_client:
        yield authorized(test_client, settings, "accounts")


def sign_up(client: TestClient, email: str = "ana@example.com") -> dict[str, Any]:
    response = client.post("/v1/accounts", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def log_in(client: TestClient, email: str = "ana@example.com") -> str:
    response = client.post("/v1/sessions", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    token: str = response.json()["session_id"]
    return token


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"] == response.headers["x-request-id"]
    return error


def test_sign_up_log_in_pick_a_profile_log_out(client: TestClient) -> None:
    account = sign_up(client, "Ana@Example.com")
    assert account["email"] == "ana@example.com"
    assert account["plan"]["code"] == "standard"

    token = log_in(client)
    session = client.get(f"/v1/sessions/{token}").json()
    assert session["account"]["id"] == account["id"]
    assert session["profile"] is None

    [profile] = client.get(f"/v1/accounts/{account['id']}/profiles").json()
    picked = client.put(f"/v1/sessions/{token}/profile", json={"profile_id": profile["id"]})
    assert picked.json()["profile"]["name"] == "ana"
    assert client.delete(f"/v1/sessions/{token}/profile").json()["profile"] is None

    assert client.delete(f"/v1/sessions/{token}").status_code == 204
    assert client.delete(f"/v1/sessions/{token}").status_code == 204
    assert_error(client.get(f"/v1/sessions/{token}"), 404, "session_not_found")


def test_duplicate_email_is_409_with_advice(client: TestClient) -> None:
    sign_up(client)
    response = client.post("/v1/accounts", json={"email": "ANA@example.com", "password": PASSWORD})
    error = assert_error(response, 409, "email_taken")
    assert "Log in instead" in error["message"]


def test_bad_credentials_are_indistinguishable(client: TestClient) -> None:
    sign_up(client)
    wrong = client.post("/v1/sessions", json={"email": "ana@example.com", "password": "nope"})
    unknown = client.post("/v1/sessions", json={"email": "zed@example.com", "password": PASSWORD})
    first = assert_error(wrong, 401, "bad_credentials")
    second = assert_error(unknown, 401, "bad_credentials")
    assert first["message"] == second["message"] == "Wrong email or password."


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/accounts", {"email": "not-an-email", "password": PASSWORD}, "email"),
        ("/v1/accounts", {"email": "a" * 250 + "@x.io", "password": PASSWORD}, "email"),
        ("/v1/accounts", {"email": "ana@example.com", "password": "short"}, "password"),
        ("/v1/accounts", {"email": "ana@example.com", "password": "p" * 129}, "password"),
        (
            "/v1/accounts",
            {"email": "ana@example.com", "password": PASSWORD, "plan": "gold"},
            "plan",
        ),
        ("/v1/sessions", {"email": "ana@example.com"}, "password"),
        ("/v1/accounts/1/profiles", {"name": "n" * 41}, "name"),
        ("/v1/accounts/1/profiles", {"name": "   "}, "name"),
        ("/v1/accounts/1/profiles", {"name": "Kid", "avatar_color": "red"}, "avatar_color"),
        ("/v1/accounts/1/profiles", {"name": "Kid", "maturity": "toddler"}, "maturity"),
        ("/v1/accounts/1/profiles", {"name": "Kid", "pin": "12a4"}, "pin"),
        ("/v1/accounts/1/profiles", {"name": "Kid", "pin": "12345"}, "pin"),
    ],
)
def test_malformed_fields_are_422_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    sign_up(client)
    error = assert_error(client.post(path, json=body), 422, "invalid")
    assert [detail["field"] for detail in error["details"]] == [field]
    assert error["message"].startswith(f"{field}: ")


def test_non_json_body_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/accounts", content=b"email=a", headers={"content-type": "text/plain"}
    )
    assert_error(response, 422, "invalid")


def test_profile_limit_is_409(client: TestClient) -> None:
    account_id = sign_up(client)["id"]
    for n in range(4):
        created = client.post(f"/v1/accounts/{account_id}/profiles", json={"name": f"kid {n}"})
        assert created.status_code == 201
    response = client.post(f"/v1/accounts/{account_id}/profiles", json={"name": "sixth"})
    assert "at most 5 profiles" in assert_error(response, 409, "profile_limit")["message"]


def test_pin_protected_profile(client: TestClient) -> None:
    account_id = sign_up(client)["id"]
    created = client.post(
        f"/v1/accounts/{account_id}/profiles", json={"name": "Dad", "pin": "2468"}
    ).json()
    assert created["has_pin"] is True
    assert "pin" not in created
    token = log_in(client)
    url = f"/v1/sessions/{token}/profile"
    assert_error(client.put(url, json={"profile_id": created["id"]}), 403, "wrong_pin")
    assert_error(
        client.put(url, json={"profile_id": created["id"], "pin": "0000"}), 403, "wrong_pin"
    )
    chosen = client.put(url, json={"profile_id": created["id"], "pin": "2468"})
    assert chosen.status_code == 200
    assert chosen.json()["profile"]["id"] == created["id"]


def test_another_accounts_profile_is_404(client: TestClient) -> None:
    ana = sign_up(client, "ana@example.com")["id"]
    bob = sign_up(client, "bob@example.com")["id"]
    [bobs] = client.get(f"/v1/accounts/{bob}/profiles").json()
    token = log_in(client, "ana@example.com")
    url = f"/v1/accounts/{ana}/profiles/{bobs['id']}"
    for response in (
        client.get(url),
        client.patch(url, json={"name": "mine"}),
        client.delete(url),
        client.put(f"/v1/sessions/{token}/profile", json={"profile_id": bobs["id"]}),
    ):
        assert_error(response, 404, "profile_not_found")
    assert client.get(f"/v1/accounts/{bob}/profiles/{bobs['id']}").json() == bobs


def test_unknown_and_absurd_ids_are_404(client: TestClient) -> None:
    for account_id in ("999", "0", str(2**70)):
        assert_error(client.get(f"/v1/accounts/{account_id}"), 404, "account_not_found")
    assert_error(client.get("/v1/accounts/abc"), 422, "invalid")


def test_sessions_expire(client: TestClient, clock: FakeClock) -> None:
    sign_up(client)
    token = log_in(client)
    expires_at = client.get(f"/v1/sessions/{token}").json()["expires_at"]
    assert expires_at.startswith("2030-01-01T13:00:00")
    clock.advance(timedelta(seconds=TTL_S))
    assert_error(client.get(f"/v1/sessions/{token}"), 404, "session_not_found")


def test_a_remembered_session_ends_when_another_process_writes(
    client: TestClient, tmp_path: Path
) -> None:
    """Session checks answer from memory (core.data_memo) only while nobody wrote: a log-out or
    a plan change through another instance (here: straight into the file) shows at once."""
    account_id = sign_up(client)["id"]
    token = log_in(client)
    for _ in range(2):  # the second check comes from memory
        assert client.get(f"/v1/sessions/{token}").json()["account"]["plan"]["code"] == "standard"
    with sqlite3.connect(tmp_path / "db" / "accounts.sqlite") as other:
        other.execute("UPDATE accounts SET plan_code = 'premium' WHERE id = ?", (account_id,))
    assert client.get(f"/v1/sessions/{token}").json()["account"]["plan"]["code"] == "premium"
    with sqlite3.connect(tmp_path / "db" / "accounts.sqlite") as other:
        other.execute("DELETE FROM sessions")
    assert_error(client.get(f"/v1/sessions/{token}"), 404, "session_not_found")


def test_plans_and_plan_change(client: TestClient) -> None:
    plans = client.get("/v1/plans").json()
    assert [(p["code"], p["max_height"], p["max_streams"], p["price_cents"]) for p in plans] == [
        ("basic", 720, 1, 799),
        ("standard", 1080, 2, 1399),
        ("premium", 2160, 4, 1999),
    ]
    account_id = sign_up(client)["id"]
    changed = client.put(f"/v1/accounts/{account_id}/plan", json={"plan": "basic"})
    assert changed.json()["plan"]["code"] == "basic"
    assert client.get(f"/v1/accounts/{account_id}").json()["plan"]["max_height"] == 720
    assert_error(client.put(f"/v1/accounts/{account_id}/plan", json={"plan": "x"}), 422, "invalid")


def test_admin_creates_accounts_with_a_role(client: TestClient) -> None:
    body = {"email": "ops@example.com", "password": PASSWORD, "role": "admin"}
    created = client.post("/v1/admin/accounts", json=body)
    assert created.status_code == 201
    assert created.json()["role"] == "admin"
    assert_error(client.post("/v1/admin/accounts", json=body), 409, "email_taken")


def test_profile_update_and_delete(client: TestClient) -> None:
    account_id = sign_up(client)["id"]
    [first] = client.get(f"/v1/accounts/{account_id}/profiles").json()
    url = f"/v1/accounts/{account_id}/profiles/{first['id']}"
    patched = client.patch(url, json={"maturity": "kids", "pin": "1357"}).json()
    assert (patched["name"], patched["maturity"], patched["has_pin"]) == ("ana", "kids", True)
    assert_error(client.patch(url, json={"pin": "1111", "clear_pin": True}), 422, "invalid")
    assert_error(client.delete(url), 409, "last_profile")
    client.post(f"/v1/accounts/{account_id}/profiles", json={"name": "Other"})
    assert client.delete(url).status_code == 204
    assert_error(client.get(url), 404, "profile_not_found")


def test_health_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"service": "accounts", "ok": True, "pid": os.getpid()}
    assert "vodstack_http_requests_total" in client.get("/metrics").text


def test_the_typed_client_speaks_this_api(client: TestClient) -> None:
    """The gateway's `AccountsClient` against the real app, in-process."""

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=client.app)
        accounts = AccountsClient(
            "http://accounts",
            credentials=cast(ServiceAuth, client.auth).credentials,
            transport=transport,
        )
        try:
            account = await accounts.sign_up(SignUp(email="eve@example.com", password=PASSWORD))
            assert [p.code for p in await accounts.plans()] == list(PlanCode)
            admin = AdminAccountCreate(email="op@example.com", password=PASSWORD, role=Role.ADMIN)
            assert (await accounts.create_account(admin)).role is Role.ADMIN
            session = await accounts.log_in(Credentials(email="eve@example.com", password=PASSWORD))
            kid = await accounts.create_profile(account.id, ProfileCreate(name="Kid", pin="1234"))
            kid = await accounts.update_profile(account.id, kid.id, ProfileUpdate(name="Kiddo"))
            assert (await accounts.profile(account.id, kid.id)).name == "Kiddo"
            selected = await accounts.select_profile(
                session.session_id, ProfileSelect(profile_id=kid.id, pin="1234")
            )
            assert selected.profile == kid
            assert (await accounts.clear_profile(session.session_id)).profile is None
            await accounts.delete_profile(account.id, kid.id)
            assert len(await accounts.profiles(account.id)) == 1
            assert (await accounts.change_plan(account.id, PlanCode.BASIC)).plan.max_streams == 1
            assert (await accounts.account(account.id)).plan.code is PlanCode.BASIC
            await accounts.log_out(session.session_id)
            with pytest.raises(UpstreamError) as caught:
                await accounts.session(session.session_id)
            assert (caught.value.status_code, caught.value.code) == (404, "session_not_found")
        finally:
            await accounts.aclose()

    asyncio.run(scenario())


def test_a_profile_list_read_again_shows_every_change(client: TestClient) -> None:
    """Profile lists are replayed from memory (core.answer_cache) until the database changes."""
    account = sign_up(client)
    listing = f"/v1/accounts/{account['id']}/profiles"
    assert [p["name"] for p in client.get(listing).json()] == ["ana"]
    assert [p["name"] for p in client.get(listing).json()] == ["ana"]
    assert client.post(listing, json={"name": "Kid", "maturity": "kids"}).status_code == 201
    assert [p["name"] for p in client.get(listing).json()] == ["ana", "Kid"]
    assert_error(client.get("/v1/accounts/999/profiles"), 404, "account_not_found")
