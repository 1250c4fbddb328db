"""Several gateway instances with `redis.url` set behave as one: a login limit is one limit
across them, a logout through one is honoured by all at once; and with their Redis killed they
keep serving (sessions from the accounts service, limits per instance), counted in /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.gateway import Visitor, cheap_passwords, make_settings
from tests.support.redis_server import REDIS_URL, private_redis, redis_prefix
from tests.support.service_tokens import authorized
from vodstack.config.settings import RateLimit, RedisSettings, Settings
from vodstack.gateway.app import create_app
from vodstack.services.accounts.app import create_app as create_accounts_app
from vodstack.services.catalog.app import create_app as create_catalog_app


def _settings(tmp_path: Path, url: str, prefix: str, **overrides: Any) -> Settings:
    return make_settings(
        tmp_path, redis=RedisSettings(url=url, prefix=prefix, retry_s=0), **overrides
    )


@dataclass
class Gateways:
    """The first gateway (`client`) and the upstreams every gateway of the test shares."""

    settings: Settings
    client: TestClient
    accounts: TestClient
    catalog: TestClient

    def visitor(self) -> Visitor:
        return Visitor(self.client)

    def viewer(self) -> Visitor:
        """A signed-up visitor watching as their default profile."""
        visitor = self.visitor()
        visitor.sign_up()
        visitor.watch_as(visitor.first_profile_id())
        return visitor


@contextmanager
def stack_for(settings: Settings) -> Iterator[Gateways]:
    """tests.support's stack, with Redis for the gateway only: the upstreams are called on the
    gateway's event loop but started on their own, and a Redis connection belongs to one loop
    (the upstreams' Redis answer caches have tests of their own)."""
    upstream = settings.model_copy(update={"redis": RedisSettings()})
    accounts_app = create_accounts_app(upstream, passwords=cheap_passwords())
    catalog_app = create_catalog_app(upstream)
    with (
        authorized(TestClient(accounts_app), settings, "accounts") as accounts,
        authorized(TestClient(catalog_app), settings, "catalog") as catalog,
    ):
        transports: dict[str, httpx.AsyncBaseTransport] = {
            "accounts": httpx.ASGITransport(app=accounts_app),
            "catalog": httpx.ASGITransport(app=catalog_app),
        }
        gateway = create_app(settings, transports=transports)
        with TestClient(gateway) as client:
            yield Gateways(settings, client, accounts, catalog)


@contextmanager
def second_gateway(stack: Gateways) -> Iterator[TestClient]:
    """Another gateway instance in front of the same accounts and catalog services."""
    transports: dict[str, httpx.AsyncBaseTransport] = {
        "accounts": httpx.ASGITransport(app=stack.accounts.app),
        "catalog": httpx.ASGITransport(app=stack.catalog.app),
    }
    with TestClient(create_app(stack.settings, transports=transports)) as client:
        yield client


def _moved(visitor: Visitor, client: TestClient) -> Visitor:
    """The same browser (cookies), its requests now reaching another gateway."""
    moved = Visitor(client)
    moved.cookies = visitor.cookies
    return moved


@pytest.mark.redis
def test_a_login_limit_is_one_limit_across_gateway_instances(tmp_path: Path) -> None:
    with redis_prefix() as prefix:
        settings = _settings(
            tmp_path, REDIS_URL, prefix, login_rate=RateLimit(per_minute=2, burst=2)
        )
        with stack_for(settings) as stack, second_gateway(stack) as other:
            body = {"email": "nobody@example.com", "password": "wrong password"}
            one, two = stack.visitor(), Visitor(other)
            assert one.post("/api/auth/login", json=body).status_code == 401
            assert two.post("/api/auth/login", json=body).status_code == 401
            refused = one.post("/api/auth/login", json=body)
            assert refused.status_code == 429
            assert two.post("/api/auth/login", json=body).status_code == 429


@pytest.mark.redis
def test_a_logout_through_one_gateway_is_honoured_by_every_other_at_once(
    tmp_path: Path,
) -> None:
    with redis_prefix() as prefix:
        settings = _settings(tmp_path, REDIS_URL, prefix)
        with stack_for(settings) as stack, second_gateway(stack) as other:
            viewer = stack.viewer()
            elsewhere = _moved(viewer, other)
            assert elsewhere.get("/api/me").status_code == 200  # now cached in Redis
            assert viewer.post("/api/auth/logout").status_code == 204
            # In-process caches would let the other gateway honour it for its cache TTL.
            assert elsewhere.get("/api/me").status_code == 401


def test_with_redis_killed_gateways_keep_serving_and_count_the_fallbacks(
    tmp_path: Path,
) -> None:
    with private_redis(tmp_path / "redis") as server:
        settings = _settings(
            tmp_path / "data", server.url, "vodstack", login_rate=RateLimit(per_minute=2, burst=2)
        )
        with stack_for(settings) as stack:
            viewer = stack.viewer()
            assert viewer.get("/api/me").status_code == 200
            server.stop()
            assert viewer.get("/api/me").status_code == 200  # asked the accounts service
            assert viewer.get("/api/titles").status_code == 200
            body = {"email": "nobody@example.com", "password": "wrong password"}
            visitor = stack.visitor()
            # Still limited, by this gateway's own buckets.
            codes = [visitor.post("/api/auth/login", json=body).status_code for _ in range(3)]
            assert codes == [401, 401, 429]
            metrics = stack.client.get("/metrics").text
    assert 'vodstack_redis_fallbacks_total{operation="get",store="sessions"}' in metrics
    assert 'vodstack_redis_fallbacks_total{operation="acquire",store="rate_limits"}' in metrics
