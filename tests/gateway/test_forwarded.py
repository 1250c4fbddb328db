"""Rate limits key on the real client: X-Forwarded-For counts only behind trusted proxies.

The gateway runs under uvicorn with the production server config (`cli.serve.server_config`),
because that is where a forwarding header used to be turned into the client address.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI

from tests.support.gateway import make_settings, stack_for, upstream_transports
from tests.support.ports import free_port
from tests.support.servers import serve_in_thread
from vodstack.cli.serve import server_config
from vodstack.config.settings import RateLimit
from vodstack.gateway.app import create_app
from vodstack.gateway.forwarded import ClientAddresses

WRONG = {"email": "nobody@example.com", "password": "wrong password"}


def _serve_gateway(tmp_path: Any, trusted_proxies: list[str]) -> Iterator[str]:
    settings = make_settings(
        tmp_path, login_rate=RateLimit(per_minute=2, burst=2), trusted_proxies=trusted_proxies
    )
    with stack_for(settings) as stack:
        transports = upstream_transports(
            cast(FastAPI, stack.accounts.app), cast(FastAPI, stack.catalog.app)
        )
        app = create_app(settings, transports=transports)
        config = server_config(app, "127.0.0.1", free_port())
        with serve_in_thread(app, config=config) as url:
            yield url


@pytest.fixture
def untrusting(tmp_path: Any) -> Iterator[str]:
    yield from _serve_gateway(tmp_path, [])


@pytest.fixture
def behind_proxy(tmp_path: Any) -> Iterator[str]:
    yield from _serve_gateway(tmp_path, ["127.0.0.0/8"])


def _login_codes(url: str, forwarded_for: list[str]) -> list[int]:
    codes = []
    with httpx.Client(base_url=url, timeout=30) as client:
        csrf = client.get("/healthz").cookies.get("vodstack_csrf") or ""
        for address in forwarded_for:
            headers = {"X-Forwarded-For": address, "X-CSRF-Token": csrf}
            codes.append(client.post("/api/auth/login", json=WRONG, headers=headers).status_code)
    return codes


def test_a_new_forwarded_address_per_try_is_still_limited(untrusting: str) -> None:
    codes = _login_codes(untrusting, [f"198.51.100.{n}" for n in range(1, 5)])
    assert codes[:2] == [401, 401]
    assert codes[2:] == [429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(
    behind_proxy: str,
) -> None:
    assert _login_codes(behind_proxy, [f"198.51.100.{n}" for n in range(1, 5)]) == [401] * 4
    assert _login_codes(behind_proxy, ["198.51.100.9"] * 3) == [401, 401, 429]


def test_only_hops_added_by_trusted_proxies_are_skipped() -> None:
    addresses = ClientAddresses(["10.0.0.0/8"])
    # The client wrote "1.2.3.4" itself; the proxy 10.0.0.2 appended the real peer 203.0.113.7.
    assert addresses.resolve("10.0.0.1", "1.2.3.4, 203.0.113.7, 10.0.0.2") == "203.0.113.7"
    assert addresses.resolve("203.0.113.7", "1.2.3.4") == "203.0.113.7"
    assert addresses.resolve("10.0.0.1", "not an address") == "not an address"
    assert ClientAddresses([]).resolve("127.0.0.1", "1.2.3.4") == "127.0.0.1"
