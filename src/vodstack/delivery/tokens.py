"""Signed edge URLs: `?t=` tokens bound to an asset version's path prefix, an expiry, a session
and the highest rendition the viewer's plan allows.

    t = base64url(expiry:u64 | max_height:u16 | len(session):u8 | session
                  | HMAC-SHA256(key, prefix | expiry | max_height | session))

`max_height` 0 means no limit. Rendition folders are named after their height (`v720p/`, and
`v720p-av1/` for another codec), so an
edge can refuse `v1080p/seg_00001.m4s` to a Basic-plan token without knowing the ladder.

The key is derived from the platform secret, so playback (which signs) and every edge and the
origin (which verify) share it without another secret to distribute. A token for
`/v/t1/v2/` is useless for `/v/t1/v3/`: the prefix is inside the MAC.

The session inside is the play session: when it ends (stop, log-out, a stream gone silent) the
playback service lists it as revoked, edges and the origin poll that list
(`cdn.revocations`), and the token is refused before its expiry (docs/security.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
import time
from collections.abc import Container
from enum import StrEnum

from vodstack.config import Settings

KEY_CONTEXT = b"vodstack-edge-token-v1"
MAC_SIZE = 32
MAX_SESSION_BYTES = 255
_HEAD = struct.Struct(">QHB")
# Case-insensitive: `V1080P/` must not slip past the plan check on a case-folding store.
# A codec suffix (`v1080p-av1/`) names the same height: AV1 and VP9 rungs are refused alike.
_RENDITION_HEIGHT = re.compile(rb"^/v/[^/]+/[^/]+/v(\d{2,5})p(?:-[a-z0-9]+)?/", re.IGNORECASE)
_MIN_SIZE = _HEAD.size + MAC_SIZE
_MAX_TOKEN_CHARS = 4 * ((_MIN_SIZE + MAX_SESSION_BYTES + 2) // 3)


class TokenCheck(StrEnum):
    OK = "ok"
    MISSING = "missing"
    MALFORMED = "malformed"
    EXPIRED = "expired"
    BAD_SIGNATURE = "bad_signature"  # forged, other key, or another path prefix
    ABOVE_PLAN = "above_plan"  # a rendition taller than the viewer's plan allows
    REVOKED = "revoked"  # its play session ended (stop, log-out, timed out)


_REFUSALS = {
    TokenCheck.MISSING: "This URL needs its access token (`?t=`). Open the stream through the "
    "playback API's stream URL (hls_stream_url or dash_stream_url): every URI in its manifests "
    "carries the token.",
    TokenCheck.MALFORMED: "The access token is cut or altered; start playback again for a "
    "fresh stream URL.",
    TokenCheck.EXPIRED: "The access token has expired; start playback again.",
    TokenCheck.BAD_SIGNATURE: "The access token is not valid for this path (another title or "
    "version, an edited URL, or another platform's token).",
    TokenCheck.ABOVE_PLAN: "This rendition is above the plan's resolution; play one the "
    "session's manifests list.",
    TokenCheck.REVOKED: "The play session of this token has ended (stopped, logged out, or "
    "silent too long); start playback again.",
}


def refusal(check: TokenCheck) -> tuple[str, str]:
    """(message, error code) for a token an edge or the origin refuses: the one place the
    wording lives, so both say the same and a person knows what to do."""
    return _REFUSALS[check], f"token_{check.value}"


def derive_key(secret: bytes) -> bytes:
    return hmac.digest(secret, KEY_CONTEXT, hashlib.sha256)


def _mac(key: bytes, prefix: bytes, expiry_and_session: bytes) -> bytes:
    return hmac.digest(key, prefix + b"\x00" + expiry_and_session, hashlib.sha256)


class TokenSigner:
    """Signs and verifies tokens with one derived key (computed once, not per request)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenSigner:
        return cls(derive_key(settings.secret()))

    def sign(
        self,
        prefix: str,
        session: str,
        ttl_s: float,
        *,
        max_height: int = 0,
        now: float | None = None,
    ) -> str:
        """A token valid for `ttl_s` seconds on every path under `prefix` (renditions up to
        `max_height` pixels tall; 0 = any)."""
        session_bytes = session.encode()
        if len(session_bytes) > MAX_SESSION_BYTES:
            raise ValueError(f"session id longer than {MAX_SESSION_BYTES} bytes")
        expiry = int((time.time() if now is None else now) + ttl_s)
        body = _HEAD.pack(expiry, max_height, len(session_bytes)) + session_bytes
        raw = body + _mac(self._key, prefix.encode(), body)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def verify(
        self,
        prefix: bytes,
        token: bytes | None,
        *,
        path: bytes = b"",
        now: float | None = None,
        revoked: Container[bytes] = (),
    ) -> TokenCheck:
        """Check a token against the prefix of the requested `path`; constant-time on the MAC.
        `revoked` holds the session ids of ended play sessions (a set: one hash lookup)."""
        if not token:
            return TokenCheck.MISSING
        raw = _decode(token)
        if raw is None or len(raw) < _MIN_SIZE:
            return TokenCheck.MALFORMED
        expiry, max_height, session_len = _HEAD.unpack_from(raw)
        body_end = _HEAD.size + session_len
        if len(raw) != body_end + MAC_SIZE:
            return TokenCheck.MALFORMED
        expected = _mac(self._key, prefix, raw[:body_end])
        if not hmac.compare_digest(expected, raw[body_end:]):
            return TokenCheck.BAD_SIGNATURE
        if expiry < (time.time() if now is None else now):
            return TokenCheck.EXPIRED
        if max_height and (rendition_height(path) or 0) > max_height:
            return TokenCheck.ABOVE_PLAN
        if raw[_HEAD.size : body_end] in revoked:
            return TokenCheck.REVOKED
        return TokenCheck.OK


def rendition_height(path: bytes) -> int | None:
    """The height named by a path's rendition folder (`/v/t/v/v720p/...` -> 720), if any."""
    match = _RENDITION_HEIGHT.match(path)
    return int(match.group(1)) if match else None


def _decode(token: bytes) -> bytes | None:
    if len(token) > _MAX_TOKEN_CHARS:
        return None
    try:
        # validate=True: a token with stray characters is malformed, not "close enough".
        return base64.b64decode(token + b"=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None


def token_session(token: str) -> str | None:
    """The play session a token names, unverified (None if it is not a token's shape): where
    a token stands in for a session (signed manifest URLs), it is looked up first and then
    compared with the session's own token."""
    raw = _decode(token.encode("ascii", "replace"))
    if raw is None or len(raw) < _MIN_SIZE:
        return None
    _, _, session_len = _HEAD.unpack_from(raw)
    if len(raw) != _HEAD.size + session_len + MAC_SIZE:
        return None
    return raw[_HEAD.size : _HEAD.size + session_len].decode("utf-8", "replace")


def token_grant(token: bytes) -> tuple[int, int, bytes] | None:
    """(expiry, max_height, session) of a token, unverified (None if not a token's shape): for
    a cache of tokens whose MAC `verify` has already accepted (cdn/token_memo.py)."""
    raw = _decode(token)
    if raw is None or len(raw) < _MIN_SIZE:
        return None
    expiry, max_height, session_len = _HEAD.unpack_from(raw)
    if len(raw) != _HEAD.size + session_len + MAC_SIZE:
        return None
    return expiry, max_height, raw[_HEAD.size : _HEAD.size + session_len]


def token_from_query(query_string: bytes) -> bytes | None:
    """The `t` parameter of a raw query string (tokens are URL-safe, so no unquoting)."""
    if not query_string:
        return None
    for part in query_string.split(b"&"):
        if part.startswith(b"t="):
            return part[2:]
    return None
