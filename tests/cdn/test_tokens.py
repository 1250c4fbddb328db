from __future__ import annotations

import base64
import time

import pytest

from vodstack.cdn.revocations import RevokedSessions
from vodstack.delivery.assets import asset_url_prefix
from vodstack.delivery.tokens import (
    TokenCheck,
    TokenSigner,
    derive_key,
    token_from_query,
)

PREFIX = asset_url_prefix("t1", "v2")


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner(derive_key(b"x" * 48))


def test_a_fresh_token_opens_its_prefix(signer: TokenSigner) -> None:
    token = signer.sign(PREFIX, "session-1", ttl_s=60).encode()
    assert signer.verify(PREFIX.encode(), token) is TokenCheck.OK


def test_an_expired_token_is_refused(signer: TokenSigner) -> None:
    token = signer.sign(PREFIX, "session-1", ttl_s=60, now=1000.0).encode()
    assert signer.verify(PREFIX.encode(), token, now=1059.0) is TokenCheck.OK
    assert signer.verify(PREFIX.encode(), token, now=1061.0) is TokenCheck.EXPIRED


def test_a_token_for_another_asset_version_is_refused(signer: TokenSigner) -> None:
    token = signer.sign(PREFIX, "session-1", ttl_s=60).encode()
    other = asset_url_prefix("t1", "v3").encode()
    assert signer.verify(other, token) is TokenCheck.BAD_SIGNATURE


def test_a_token_signed_with_another_secret_is_refused(signer: TokenSigner) -> None:
    stranger = TokenSigner(derive_key(b"y" * 48))
    token = stranger.sign(PREFIX, "session-1", ttl_s=60).encode()
    assert signer.verify(PREFIX.encode(), token) is TokenCheck.BAD_SIGNATURE


def test_a_tampered_token_is_refused(signer: TokenSigner) -> None:
    token = bytearray(signer.sign(PREFIX, "session-1", ttl_s=60).encode())
    token[3] = ord("A") if token[3] != ord("A") else ord("B")  # inside the expiry field
    assert signer.verify(PREFIX.encode(), bytes(token)) is TokenCheck.BAD_SIGNATURE


@pytest.mark.parametrize("token", [b"", None])
def test_no_token_is_missing(signer: TokenSigner, token: bytes | None) -> None:
    assert signer.verify(PREFIX.encode(), token) is TokenCheck.MISSING


@pytest.mark.parametrize("token", [b"abc", b"!!!!", b"A" * 2000, b"AAAA%20AAAA"])
def test_garbage_is_malformed(signer: TokenSigner, token: bytes) -> None:
    assert signer.verify(PREFIX.encode(), token) is TokenCheck.MALFORMED


def test_session_ids_are_bounded(signer: TokenSigner) -> None:
    with pytest.raises(ValueError, match="session id"):
        signer.sign(PREFIX, "s" * 300, ttl_s=60)


def test_the_token_is_read_from_the_query_string() -> None:
    assert token_from_query(b"a=1&t=abc-_&b=2") == b"abc-_"
    assert token_from_query(b"at=1") is None
    assert token_from_query(b"") is None


def test_a_plan_bound_token_refuses_taller_renditions() -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.sign(PREFIX, "s1", 60, max_height=720).encode()
    allowed = (PREFIX + "v720p/seg_00001.m4s").encode()
    taller = (PREFIX + "v1080p/seg_00001.m4s").encode()
    assert signer.verify(PREFIX.encode(), token, path=allowed) is TokenCheck.OK
    assert signer.verify(PREFIX.encode(), token, path=(PREFIX + "master.m3u8").encode()) is (
        TokenCheck.OK
    )
    assert signer.verify(PREFIX.encode(), token, path=taller) is TokenCheck.ABOVE_PLAN
    unlimited = signer.sign(PREFIX, "s1", 60).encode()
    assert signer.verify(PREFIX.encode(), unlimited, path=taller) is TokenCheck.OK


@pytest.mark.parametrize("folder", ["V1080p", "v1080P", "V1080P"])
def test_the_plan_check_ignores_the_case_of_the_rendition_folder(folder: str) -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.sign(PREFIX, "s1", 60, max_height=720).encode()
    path = f"{PREFIX}{folder}/seg_00001.m4s".encode()
    assert signer.verify(PREFIX.encode(), token, path=path) is TokenCheck.ABOVE_PLAN


def test_the_height_limit_is_inside_the_mac() -> None:
    signer = TokenSigner(b"k" * 32)
    raw = bytearray(base64.urlsafe_b64decode(signer.sign(PREFIX, "s1", 60, max_height=720) + "=="))
    raw[8:10] = (4320).to_bytes(2, "big")  # raise the limit by hand
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=")
    taller = (PREFIX + "v1080p/seg_00001.m4s").encode()
    assert signer.verify(PREFIX.encode(), forged, path=taller) is TokenCheck.BAD_SIGNATURE


def test_a_revoked_session_is_refused_and_others_are_not(signer: TokenSigner) -> None:
    revoked = RevokedSessions()
    revoked.add("ended-session", time.time() + 600)
    prefix = asset_url_prefix("t1", "v1")
    ended = signer.sign(prefix, "ended-session", 60).encode()
    playing = signer.sign(prefix, "playing-session", 60).encode()
    assert signer.verify(prefix.encode(), ended, revoked=revoked) is TokenCheck.REVOKED
    assert signer.verify(prefix.encode(), playing, revoked=revoked) is TokenCheck.OK
    assert signer.verify(prefix.encode(), ended) is TokenCheck.OK  # no list: only the MAC


def test_revocations_are_forgotten_once_the_token_expired() -> None:
    revoked = RevokedSessions()
    revoked.add("old", 100.0)
    revoked.add("new", 200.0)
    assert revoked.prune(now=150.0) == 1
    assert b"old" not in revoked and b"new" in revoked


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("v720p-av1", TokenCheck.OK),
        ("v720p-vp9", TokenCheck.OK),
        ("v1080p-av1", TokenCheck.ABOVE_PLAN),
        ("V1080P-VP9", TokenCheck.ABOVE_PLAN),
    ],
)
def test_other_codecs_renditions_are_held_to_the_plan_height_too(
    folder: str, expected: TokenCheck
) -> None:
    signer = TokenSigner(b"k" * 32)
    token = signer.sign(PREFIX, "s1", 60, max_height=720).encode()
    path = f"{PREFIX}{folder}/seg_00001.m4s".encode()
    assert signer.verify(PREFIX.encode(), token, path=path) is expected
