"""`vodstack up` with `redis.url` set: the supervisor registers every instance in Redis, the
gateway's sessions and the catalog's answers live there, and a logout is honoured at once."""

from __future__ import annotations

import json
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
        env = {
            "VODSTACK_REDIS__URL": REDIS_URL,
            "VODSTACK_REDIS__PREFIX": prefix,
            "VODSTACK_SCALE__INSTANCES": json.dumps({"catalog": 2}),
        }
        with running_platform(tmp_path / "data", extra_env=env) as platform:
            registry = RedisRegistry(REDIS_URL, 6.0, prefix=prefix)

            def registered() -> bool:
                ids = [i.instance_id for i in registry.instances("catalog")]
                return ids == ["catalog", "catalog-2"] and bool(registry.instances("gateway"))

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
