"""The edge's memo of verified tokens answers exactly as `TokenSigner.verify` does."""

from __future__ import annotations

import time

from vodstack.cdn.token_memo import TokenMemo
from vodstack.delivery.tokens import TokenCheck, TokenSigner, token_grant

PREFIX = b"/v/t1/v1/"
SEG = b"/v/t1/v1/v720p/seg_00001.m4s"
TALL = b"/v/t1/v1/v1080p/seg_00001.m4s"


def test_a_remembered_token_is_still_checked_for_plan_revocation_and_prefix() -> None:
    signer = TokenSigner(b"k" * 32)
    memo = TokenMemo(signer)
    token = signer.sign(PREFIX.decode(), "session-1", 600, max_height=720).encode()
    revoked: set[bytes] = set()
    assert memo.check(PREFIX, token, SEG, revoked) is TokenCheck.OK
    assert len(memo) == 1
    # From memory now; each answer still matches a full verify.
    for path in (SEG, TALL):
        assert memo.check(PREFIX, token, path, revoked) is signer.verify(
            PREFIX, token, path=path, revoked=revoked
        )
    assert memo.check(PREFIX, token, TALL, revoked) is TokenCheck.ABOVE_PLAN
    revoked.add(b"session-1")
    assert memo.check(PREFIX, token, SEG, revoked) is TokenCheck.REVOKED
    # The prefix is part of the key: the same token on another version is checked afresh.
    assert memo.check(b"/v/t1/v2/", token, b"/v/t1/v2/x", set()) is TokenCheck.BAD_SIGNATURE


def test_bad_tokens_are_not_remembered_and_the_memo_is_bounded() -> None:
    signer = TokenSigner(b"k" * 32)
    memo = TokenMemo(signer, capacity=2)
    good = signer.sign(PREFIX.decode(), "s", 600).encode()
    forged = good[:-3] + (b"AAA" if good[-3:] != b"AAA" else b"BBB")
    expired = signer.sign(PREFIX.decode(), "s", -10).encode()
    assert memo.check(PREFIX, forged, SEG, ()) is TokenCheck.BAD_SIGNATURE
    assert memo.check(PREFIX, expired, SEG, ()) is TokenCheck.EXPIRED
    assert memo.check(PREFIX, None, SEG, ()) is TokenCheck.MISSING
    assert memo.check(PREFIX, b"!!", SEG, ()) is TokenCheck.MALFORMED
    assert len(memo) == 0
    for session in ("a", "b", "c"):
        token = signer.sign(PREFIX.decode(), session, 600).encode()
        assert memo.check(PREFIX, token, SEG, ()) is TokenCheck.OK
    assert len(memo) == 2


def test_a_remembered_token_expires_on_time() -> None:
    signer = TokenSigner(b"k" * 32)
    memo = TokenMemo(signer)
    # Valid for about two more seconds, whatever the clock's fraction now.
    token = signer.sign(PREFIX.decode(), "s", 2.0, now=time.time()).encode()
    assert memo.check(PREFIX, token, SEG, ()) is TokenCheck.OK
    grant = token_grant(token)
    assert grant is not None
    while time.time() <= grant[0]:
        time.sleep(0.05)
    assert memo.check(PREFIX, token, SEG, ()) is TokenCheck.EXPIRED
