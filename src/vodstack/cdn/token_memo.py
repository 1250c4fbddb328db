"""Verified tokens remembered per edge: the MAC is checked once per token, not per request.

A play session's token rides on every segment URL of that session, so an edge sees the same
token hundreds of times; decoding it and computing its HMAC-SHA256 each time is the largest
part of a hit's Python work after parsing. Only tokens whose MAC `TokenSigner.verify` accepted
are remembered (keyed by the prefix they were checked against, which is inside the MAC); what
can change between two requests of the same token is still checked every time: expiry, the
plan's rendition limit for this path, and the revocation list.
"""

from __future__ import annotations

import time
from collections.abc import Container

from vodstack.delivery.tokens import TokenCheck, TokenSigner, rendition_height, token_grant

MAX_TOKENS = 16_384  # ~3 MB of keys; more concurrent sessions than one edge process serves


class TokenMemo:
    """`check` answers exactly as `TokenSigner.verify` does, from memory for known tokens."""

    def __init__(self, signer: TokenSigner, capacity: int = MAX_TOKENS) -> None:
        self._signer = signer
        self._capacity = capacity
        self._grants: dict[tuple[bytes, bytes], tuple[int, int, bytes]] = {}

    def check(
        self, prefix: bytes, token: bytes | None, path: bytes, revoked: Container[bytes]
    ) -> TokenCheck:
        if not token:
            return TokenCheck.MISSING
        grant = self._grants.get((prefix, token))
        if grant is None:
            check = self._signer.verify(prefix, token, path=path, revoked=revoked)
            if check is TokenCheck.OK or check is TokenCheck.ABOVE_PLAN:
                self._remember(prefix, token)  # the MAC is good; the rest is per request
            return check
        expiry, max_height, session = grant
        if expiry < time.time():
            return TokenCheck.EXPIRED
        if max_height and (rendition_height(path) or 0) > max_height:
            return TokenCheck.ABOVE_PLAN
        if session in revoked:
            return TokenCheck.REVOKED
        return TokenCheck.OK

    def _remember(self, prefix: bytes, token: bytes) -> None:
        grant = token_grant(token)
        if grant is None:
            return
        if len(self._grants) >= self._capacity:
            # Oldest first out (dicts keep insertion order): a bounded set, no LRU bookkeeping
            # on the hit path.
            del self._grants[next(iter(self._grants))]
        self._grants[(prefix, token)] = grant

    def __len__(self) -> int:
        return len(self._grants)
