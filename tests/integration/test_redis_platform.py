"""`vodstack up` with `redis.url` set: the supervisor registers every instance in Redis, the
gateway's sessions and the catalog's answers live there, and a logout is honoured at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tests.support.redis_server import REDIS_URL, redis_prefix
from tests.support.waiting import eventually
from vodstack.discovery import RedisRegistry
from vodstack.supervisor.launcher import gateway_client, running_platform


@pytest.mark.slow
@pytest.mark.redis
def test_a_platform_on_redis_registers_there_and_shares_its_caches(tmp_path: Path) -> None:
    with redis_prefix() as prefix:
        # One instance each: two catalogs started at once on a fresh SQLite file race to
        # create its tables (a start-up race of main's, independent of Redis).
        env = {"VODSTACK_REDIS__URL": REDIS_URL, "VODSTACK_REDIS__PREFIX": prefix}
        # Generous: fourteen processes start on a shared, loaded machine.
        with running_platform(tmp_path / "data", extra_env=env, timeout=300) as platform:
            registry = RedisRegistry(REDIS_URL, 6.0, prefix=prefix)

            def registered() -> bool:
                services = {lease.instance.service for lease in registry.leases()}
                return {"catalog", "accounts", "gateway", "origin", "edge-eu-1"} <= services

            eventually(registered, timeout_s=120, interval_s=0.5)
            logins = platform.logins()
            with gateway_client(platform) as client:
                body = {"email": logins["viewer_email"], "password": logins["viewer_password"]}
                client.post("/api/auth/login", json=body).raise_for_status()
                profile = client.get("/api/profiles").json()[0]["id"]
                client.post(f"/api/profiles/{profile}/select", json={}).raise_for_status()
                assert client.get("/api/titles").status_code == 200
                assert client.get("/api/me").status_code == 200
                keys = redis.Redis.from_url(REDIS_URL)
                assert list(keys.scan_iter(match=f"{prefix}:sessions:s:*"))
                assert list(keys.scan_iter(match=f"{prefix}:answers:catalog:*"))
                client.post("/api/auth/logout").raise_for_status()
                assert client.get("/api/me").status_code == 401
                keys.close()
            registry.close()
