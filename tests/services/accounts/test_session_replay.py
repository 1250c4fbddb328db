"""A session check is replayed from the answer cache until the session changes or ends: a log-out
(here or through another instance), a profile pick and the session's end by the clock are each
seen by the very next check; in Redis, the session token never appears in a key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from tests.support.accounts import SESSION_TTL
from tests.support.clock import FakeClock
from tests.support.redis_server import REDIS_URL, redis_prefix
from tests.support.replay import Watched
from tests.support.service_tokens import authorized
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import RedisSettings, Settings, load_settings
from vodstack.core.replay_path import ServiceApp
from vodstack.services.accounts.app import create_app
from vodstack.services.accounts.passwords import Passwords

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    ttl = int(SESSION_TTL.total_seconds())
    return with_secrets(load_settings(data_dir=tmp_path, session_ttl_s=ttl))


def _open(
    settings: Settings, passwords: Passwords, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Watched]]:
    app = create_app(settings, passwords=passwords, clock=clock)
    assert isinstance(app, ServiceApp)
    watched = Watched(app, monkeypatch)
    with TestClient(app) as raw:
        yield authorized(raw, settings, "accounts"), watched


@pytest.fixture
def accounts(
    settings: Settings, passwords: Passwords, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Watched]]:
    yield from _open(settings, passwords, clock, monkeypatch)


def _logged_in(client: TestClient) -> tuple[str, int]:
    """A new account's session token and its profile id, the session checked twice (cached)."""
    client.post("/v1/accounts", json={"email": "ana@example.com", "password": PASSWORD})
    body = {"email": "ana@example.com", "password": PASSWORD}
    token: str = client.post("/v1/sessions", json=body).json()["session_id"]
    account = client.get(f"/v1/sessions/{token}").json()["account"]["id"]
    assert client.get(f"/v1/sessions/{token}").status_code == 200
    profile: int = client.get(f"/v1/accounts/{account}/profiles").json()[0]["id"]
    return token, profile


def test_a_session_check_is_replayed_and_a_log_out_is_seen_at_once(
    accounts: tuple[TestClient, Watched],
) -> None:
    client, watched = accounts
    token, _ = _logged_in(client)
    watched.answered.clear()
    assert client.get(f"/v1/sessions/{token}").status_code == 200
    assert watched.answered == [True]
    assert client.delete(f"/v1/sessions/{token}").status_code == 204
    gone = client.get(f"/v1/sessions/{token}")
    assert gone.status_code == 404, gone.text
    assert gone.json()["error"]["code"] == "session_not_found"


def test_a_profile_pick_is_seen_by_the_next_check(accounts: tuple[TestClient, Watched]) -> None:
    client, _ = accounts
    token, profile = _logged_in(client)
    assert client.get(f"/v1/sessions/{token}").json()["profile"] is None
    picked = client.put(f"/v1/sessions/{token}/profile", json={"profile_id": profile})
    assert picked.status_code == 200, picked.text
    assert client.get(f"/v1/sessions/{token}").json()["profile"]["id"] == profile


def test_a_session_that_ends_by_the_clock_is_not_replayed(
    accounts: tuple[TestClient, Watched], clock: FakeClock
) -> None:
    client, watched = accounts
    token, _ = _logged_in(client)
    clock.advance(SESSION_TTL.total_seconds() - 1)
    assert client.get(f"/v1/sessions/{token}").status_code == 200
    clock.advance(1)  # no write at all: only the clock says the session is over
    watched.answered.clear()
    assert client.get(f"/v1/sessions/{token}").status_code == 404
    assert watched.answered == [False]


def test_a_log_out_through_another_instance_is_seen_at_once(
    accounts: tuple[TestClient, Watched],
    settings: Settings,
    passwords: Passwords,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, _ = accounts
    token, _ = _logged_in(client)
    for other, _ in _open(settings, passwords, clock, monkeypatch):
        assert other.delete(f"/v1/sessions/{token}").status_code == 204
    assert client.get(f"/v1/sessions/{token}").status_code == 404


@pytest.mark.redis
def test_in_redis_a_log_out_anywhere_is_seen_and_no_key_holds_the_token(
    settings: Settings, passwords: Passwords, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with redis_prefix() as prefix:
        redis_settings = RedisSettings(url=REDIS_URL, prefix=prefix, retry_s=0)
        shared = settings.model_copy(update={"redis": redis_settings})
        for one, _ in _open(shared, passwords, clock, monkeypatch):
            token, _ = _logged_in(one)
            keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"{prefix}:*"))
            assert keys and not any(token.encode() in key for key in keys)
            for two, _ in _open(shared, passwords, clock, monkeypatch):
                assert two.get(f"/v1/sessions/{token}").status_code == 200
                assert two.delete(f"/v1/sessions/{token}").status_code == 204
            assert one.get(f"/v1/sessions/{token}").status_code == 404
