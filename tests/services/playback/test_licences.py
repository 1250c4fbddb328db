"""Issue 20, point 5: the key service and the Clear Key licence route, in process.

Gateway -> playback (key vault and licences) -> billing. A playing session's stream token buys
the key of the version it plays and nothing else; an ended, forged or expired session, a
cancelled subscription, or a key of another title gets a refusal a person can act on.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.exceptions import InvalidTag
from fastapi.testclient import TestClient

from tests.services.playback.stack import Platform, inprocess_platform
from tests.support.gateway import Visitor
from tests.support.playback import VERSION, publish_encrypted
from tests.support.service_tokens import authorized
from tests.support.waiting import eventually
from vodstack.contracts.keys import b64url
from vodstack.services.playback.keys import KeyWrap


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with inprocess_platform(tmp_path) as running:
        yield running


def _issue(platform: Platform, title_id: int, version: str = VERSION) -> dict[str, str]:
    keys = authorized(TestClient(platform.playback_app), platform.settings, "playback")
    answer = keys.post("/v1/keys", json={"title_id": title_id, "asset_version": version})
    assert answer.status_code == 200, answer.text
    grant: dict[str, str] = answer.json()
    return grant


def _start(viewer: Visitor, title_id: int) -> dict[str, Any]:
    answer = viewer.post(f"/api/playback/{title_id}/start")
    assert answer.status_code == 201, answer.text
    session: dict[str, Any] = answer.json()
    return session


def _licence(platform: Platform, session: dict[str, Any], *kids: str) -> Any:
    # As an EME player sends it: no cookie, no CSRF header, the token in the URL.
    player = Visitor(platform.client)
    platform.client.cookies.clear()
    return player.post(urlsplit(session["licence_url"]).path, json={"kids": list(kids)})


def _kid(grant: dict[str, str]) -> str:
    return b64url(bytes.fromhex(grant["kid"]))


def test_a_playing_session_gets_the_key_of_its_version(platform: Platform) -> None:
    title_id = platform.title(publisher=publish_encrypted)
    grant = _issue(platform, title_id)
    session = _start(platform.viewer("premium"), title_id)
    assert session["licence_url"].endswith("/licence")
    assert session["token"] in session["licence_url"]

    licence = _licence(platform, session, _kid(grant))
    assert licence.status_code == 200, licence.text
    assert licence.headers["cache-control"] == "private, no-store"
    assert licence.json() == {
        "keys": [{"kty": "oct", "kid": _kid(grant), "k": b64url(bytes.fromhex(grant["key"]))}],
        "type": "temporary",
    }


def test_a_clear_title_is_started_without_a_licence_url(platform: Platform) -> None:
    # Encryption is per title: the same platform plays this one without EME.
    session = _start(platform.viewer("premium"), platform.title())
    assert session["licence_url"] == ""
    assert session["hls_stream_url"]


def test_the_key_service_gives_one_key_per_version_held_wrapped(platform: Platform) -> None:
    title_id = platform.title(publisher=publish_encrypted)
    first = _issue(platform, title_id)
    assert _issue(platform, title_id) == first  # a retried packager gets the same key
    assert _issue(platform, title_id, "other-version") != first

    database = platform.settings.data_dir / "db" / "playback.sqlite"
    with sqlite3.connect(database) as db:
        (wrapped,) = db.execute(
            "SELECT wrapped FROM content_keys WHERE kid = ?", (first["kid"],)
        ).fetchone()
    key, kid = bytes.fromhex(first["key"]), bytes.fromhex(first["kid"])
    assert key not in wrapped  # never stored in the clear
    assert KeyWrap(platform.settings.secret()).unwrap(kid, wrapped) == key
    with pytest.raises(InvalidTag):  # a copy of the database opens nothing without the secret
        KeyWrap(b"another platform secret").unwrap(kid, wrapped)


def test_a_session_never_opens_another_titles_key(platform: Platform) -> None:
    playing, other = (
        platform.title(publisher=publish_encrypted),
        platform.title("adult", publisher=publish_encrypted),
    )
    _issue(platform, playing)
    foreign = _issue(platform, other, "adult-version")
    session = _start(platform.viewer("premium"), playing)

    refused = _licence(platform, session, _kid(foreign))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "key_not_in_session"
    unknown = _licence(platform, session, b64url(bytes(16)))
    assert unknown.status_code == 403


def test_ended_forged_and_malformed_requests_are_refused(platform: Platform) -> None:
    title_id = platform.title(publisher=publish_encrypted)
    grant = _issue(platform, title_id)
    viewer = platform.viewer("premium")
    session = _start(viewer, title_id)

    forged = dict(session, licence_url=session["licence_url"].replace(session["token"], "A" * 40))
    assert _licence(platform, forged, _kid(grant)).json()["error"]["code"] == (
        "token_bad_signature"
    )
    malformed = Visitor(platform.client).post(
        urlsplit(session["licence_url"]).path, json={"kids": ["not a key id"]}
    )
    assert malformed.status_code == 422

    stopped = viewer.post(f"/api/playback/{session['play_session_id']}/stop", json={})
    assert stopped.status_code == 200, stopped.text
    ended = _licence(platform, session, _kid(grant))
    assert ended.status_code == 409
    assert ended.json()["error"]["code"] == "session_ended"


def test_a_cancelled_subscription_gets_no_more_licences(platform: Platform) -> None:
    title_id = platform.title(publisher=publish_encrypted)
    grant = _issue(platform, title_id)
    viewer = platform.viewer("standard")
    session = _start(viewer, title_id)
    assert _licence(platform, session, _kid(grant)).status_code == 200

    cancelled = viewer.post("/api/me/subscription/cancel", headers={"Idempotency-Key": "c1"})
    assert cancelled.status_code == 200, cancelled.text
    # Within `playback.change_feed_s`: the entitlement kept until billing's feed lists it.
    refused = eventually(
        lambda: (
            ((answer := _licence(platform, session, _kid(grant))).status_code == 403 and answer)
            or None
        ),
        timeout_s=10,
        message="a cancelled subscription kept getting licences",
    )
    assert refused.json()["error"]["code"] == "subscription_cancelled"


def test_an_expired_token_gets_no_licence(tmp_path: Path) -> None:
    with inprocess_platform(tmp_path, playback={"token_ttl_s": 1}) as platform:
        title_id = platform.title(publisher=publish_encrypted)
        grant = _issue(platform, title_id)
        session = _start(platform.viewer("premium"), title_id)
        time.sleep(1.2)  # the token's whole life; nothing here measures time
        expired = _licence(platform, session, _kid(grant))
        assert expired.status_code == 403
        assert expired.json()["error"]["code"] == "token_expired"


def test_another_account_and_a_kids_profile_get_no_key_of_a_title_they_do_not_play(
    platform: Platform,
) -> None:
    """Issue 20, point 6: another account's session, and a kids profile's, cannot buy the key
    of an adult title; the kids profile cannot even start it (the start's maturity check)."""
    adult = platform.title("adult", publisher=publish_encrypted)
    kids_title = platform.title("kids", publisher=publish_encrypted)
    _issue(platform, kids_title)
    adult_key = _issue(platform, adult, "adult-version")
    owner = _start(platform.viewer("premium"), adult)
    assert owner["licence_url"]

    family = platform.viewer("basic")  # another account, on the smallest plan
    family.watch_as(family.add_profile("Kid", "kids"))
    assert family.post(f"/api/playback/{adult}/start").status_code == 404
    their_session = _start(family, kids_title)
    refused = _licence(platform, their_session, _kid(adult_key))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "key_not_in_session"
