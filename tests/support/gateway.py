"""The gateway wired to the real accounts and catalog apps, all in-process (tests/gateway and
the playback and player tests that go through the gateway use it).

Each upstream runs its own lifespan (in its own TestClient); the gateway reaches them through
`httpx.ASGITransport`, so every request crosses the same HTTP boundary as in production.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import argon2
import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import RateLimit, Settings, load_settings
from vodstack.gateway.app import create_app
from vodstack.gateway.csrf import CSRF_COOKIE
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.accounts.clock import Clock, utc_now
from vodstack.services.accounts.passwords import Passwords
from vodstack.services.billing.app import create_app as create_billing_app
from vodstack.services.catalog.app import create_app as create_catalog_app

PASSWORD = "correct horse battery"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_emails = itertools.count(1)


def cheap_passwords() -> Passwords:
    """Argon2 at its cheapest: the tests exercise the flow, not the hash's cost."""
    return Passwords(
        argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=8)
    )


def new_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_emails)}@example.com"


def make_settings(tmp_path: Any, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "data_dir": tmp_path,
        # In-process upstreams used to have no timeout at all (httpx's ASGITransport ignores
        # it); the resilient transport enforces one. Generous, so a loaded CI machine does not
        # turn a slow in-process call into a 503; tests about timeouts set their own.
        "upstream_timeout_s": 30.0,
        "login_rate": RateLimit(per_minute=600, burst=100),
        "signup_rate": RateLimit(per_minute=600, burst=100),
    }
    return with_secrets(load_settings(**{**base, **overrides}))


class Visitor:
    """One browser: its own cookie jar, sharing the in-process gateway with other visitors."""

    def __init__(self, client: TestClient) -> None:
        self._client = client
        self.cookies = httpx.Cookies()

    def request(self, method: str, url: str, *, csrf: bool = True, **kwargs: Any) -> httpx.Response:
        self._client.cookies = self.cookies
        headers = dict(kwargs.pop("headers", None) or {})
        if csrf and method.upper() not in SAFE_METHODS:
            headers["X-CSRF-Token"] = self.csrf_token()
        kwargs.setdefault("follow_redirects", False)
        response: httpx.Response = self._client.request(method, url, headers=headers, **kwargs)
        self.cookies = httpx.Cookies(self._client.cookies)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def csrf_token(self) -> str:
        token = self.cookies.get(CSRF_COOKIE)
        if token is None:
            self._client.cookies = self.cookies
            self._client.get("/healthz")
            self.cookies = httpx.Cookies(self._client.cookies)
            token = self.cookies[CSRF_COOKIE]
        return token

    def sign_up(self, email: str | None = None, password: str = PASSWORD) -> dict[str, Any]:
        response = self.post(
            "/api/auth/signup", json={"email": email or new_email(), "password": password}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    def log_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.post("/api/auth/login", json={"email": email, "password": password})

    def first_profile_id(self) -> int:
        profiles = self.get("/api/profiles").json()
        return int(profiles[0]["id"])

    def watch_as(self, profile_id: int, pin: str | None = None) -> dict[str, Any]:
        body = {"pin": pin} if pin else {}
        response = self.post(f"/api/profiles/{profile_id}/select", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def add_profile(self, name: str, maturity: str, pin: str | None = None) -> int:
        body: dict[str, Any] = {"name": name, "maturity": maturity}
        if pin:
            body["pin"] = pin
        response = self.post("/api/profiles", json=body)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])


@dataclass
class Stack:
    settings: Settings
    gateway: FastAPI
    client: TestClient
    accounts: TestClient
    catalog: TestClient
    billing: TestClient | None  # None: the gateway runs without billing (accounts unbilled)

    def visitor(self) -> Visitor:
        return Visitor(self.client)

    def viewer(self) -> Visitor:
        """A signed-up visitor watching as their default (adult) profile."""
        visitor = self.visitor()
        visitor.sign_up()
        visitor.watch_as(visitor.first_profile_id())
        return visitor

    def admin(self) -> Visitor:
        """An administrator (created the way operators do: on the accounts service)."""
        email = new_email("admin")
        created = self.accounts.post(
            "/v1/admin/accounts", json={"email": email, "password": PASSWORD, "role": "admin"}
        )
        assert created.status_code == 201, created.text
        visitor = self.visitor()
        assert visitor.log_in(email).status_code == 200
        visitor.watch_as(visitor.first_profile_id())
        return visitor


def upstream_transports(
    accounts: FastAPI, catalog: FastAPI, billing: FastAPI | None = None
) -> dict[str, httpx.AsyncBaseTransport]:
    transports: dict[str, httpx.AsyncBaseTransport] = {
        "accounts": httpx.ASGITransport(app=accounts),
        "catalog": httpx.ASGITransport(app=catalog),
    }
    if billing is not None:
        transports["billing"] = httpx.ASGITransport(app=billing)
    return transports


@contextmanager
def stack_for(settings: Settings, clock: Clock = utc_now) -> Iterator[Stack]:
    """The four apps with their lifespans running, the gateway wired to the other three."""
    accounts_app = create_accounts_app(settings, passwords=cheap_passwords(), clock=clock)
    catalog_app = create_catalog_app(settings)
    billing_app = create_billing_app(settings, clock=clock)
    with (
        authorized(TestClient(accounts_app), settings, "accounts") as accounts,
        authorized(TestClient(catalog_app), settings, "catalog") as catalog,
        authorized(TestClient(billing_app), settings, "billing") as billing,
    ):
        transports = upstream_transports(accounts_app, catalog_app, billing_app)
        gateway = create_app(settings, transports=transports)
        with TestClient(gateway) as client:
            yield Stack(settings, gateway, client, accounts, catalog, billing)


SAMPLE_TITLES: tuple[dict[str, Any], ...] = (
    {
        "name": "Midnight Harvest",
        "kind": "movie",
        "year": 2021,
        "maturity": "adult",
        "genres": ["Horror"],
        "synopsis": "A farm town learns what grows after dark.",
        "cast": ["Ada Stone"],
        "duration_s": 5400,
    },
    {
        "name": "Bunny Brigade",
        "kind": "movie",
        "year": 2019,
        "maturity": "kids",
        "genres": ["Family", "Animation"],
        "synopsis": "Five rabbits save the carrot festival.",
        "duration_s": 4800,
    },
    {
        "name": "Moonbase Academy",
        "kind": "series",
        "year": 2023,
        "maturity": "teen",
        "genres": ["Sci-Fi"],
        "synopsis": "Cadets, craters and curfew.",
        "seasons": [
            {
                "number": 1,
                "episodes": [
                    {"number": 1, "name": "Arrival", "duration_s": 1500},
                    {"number": 2, "name": "Low Gravity", "duration_s": 1500},
                ],
            }
        ],
    },
)


def publish(stack: Stack, title_id: int, version: str = "v1") -> None:
    """Make a title visible to viewers, as the pipeline does after its first publish."""
    body = {"availability": "available", "asset_version": version}
    response = stack.catalog.put(f"/v1/titles/{title_id}/availability", json=body)
    assert response.status_code == 200, response.text
