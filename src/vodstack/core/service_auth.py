"""Service-to-service authentication: short-lived tokens signed with a key only services hold.

Internal services (accounts, catalog, playback, pipeline) answer only callers that present

    x-vodstack-service: {caller}.{audience}.{expiry}.{base64url(HMAC-SHA256(key, first three))}

`key` is derived from the platform secret (HMAC with a context label of its own), so every
process that already has the settings can sign and verify with nothing new to distribute, and
the key differs from the one that signs segment URLs. `audience` is the service the token is
for: a token for the catalog does not open accounts. Tokens live a minute (plus a little clock
skew across hosts); clients mint them as they go, so nothing depends on the caller's address
or on loopback. See docs/security.md, "Service tokens".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Generator

import httpx
from fastapi import Request

from vodstack.config.settings import Settings
from vodstack.core.errors import Unauthorized

# A header name, not a secret.
SERVICE_TOKEN_HEADER = "x-vodstack-service"  # noqa: S105
KEY_CONTEXT = b"vodstack-service-token-v1"
TOKEN_TTL_S = 60
# Hosts' clocks may disagree by this much; a token further in the future is refused.
MAX_CLOCK_SKEW_S = 30
# Verified tokens remembered (each caller mints one per audience every half minute).
_MAX_VERIFIED = 1024
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")

Clock = Callable[[], float]


def derive_service_key(secret: bytes) -> bytes:
    return hmac.digest(secret, KEY_CONTEXT, hashlib.sha256)


def _mac(key: bytes, claims: str) -> str:
    digest = hmac.digest(key, claims.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"service name {value!r} must match {_NAME.pattern}")
    return value


class ServiceCredentials:
    """What a caller holds: the key and its own name. Mints tokens, reusing each for a while."""

    def __init__(self, key: bytes, caller: str, *, clock: Clock = time.time) -> None:
        self._key = key
        self.caller = _name(caller)
        self._clock = clock
        self._minted: dict[str, tuple[str, float]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, caller: str) -> ServiceCredentials:
        return cls(derive_service_key(settings.secret()), caller)

    def token(self, audience: str, *, ttl_s: int = TOKEN_TTL_S) -> str:
        """A token for `audience`; the same one until half its life is gone (one HMAC a
        half-minute per audience instead of one per request)."""
        now = self._clock()
        cached = self._minted.get(audience)
        if cached is not None and cached[1] - now > ttl_s / 2:
            return cached[0]
        expiry = int(now) + ttl_s
        claims = f"{self.caller}.{_name(audience)}.{expiry}"
        token = f"{claims}.{_mac(self._key, claims)}"
        self._minted[audience] = (token, expiry)
        return token


class ServiceAuth(httpx.Auth):
    """httpx auth adding a fresh service token for `audience` to every request."""

    def __init__(self, credentials: ServiceCredentials, audience: str) -> None:
        self.credentials = credentials
        self._audience = audience

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[SERVICE_TOKEN_HEADER] = self.credentials.token(self._audience)
        yield request


class ServiceTokens:
    """The verifying side, for one service (the audience)."""

    def __init__(self, key: bytes, audience: str, *, clock: Clock = time.time) -> None:
        self._key = key
        self.audience = _name(audience)
        self._clock = clock
        # Tokens already verified: token -> (caller, expiry). A caller reuses a token for half
        # its life (ServiceCredentials.token), so nearly every request repeats one whose HMAC
        # was checked; only the expiry still depends on the clock.
        self._verified: dict[str, tuple[str, int]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, audience: str) -> ServiceTokens:
        return cls(derive_service_key(settings.secret()), audience)

    def verify(self, token: str | None) -> str:
        """The calling service's name; `Unauthorized` saying what is wrong otherwise."""
        known = self._verified.get(token) if token else None
        if known is not None and known[1] >= self._clock():
            return known[0]
        caller, expiry = self._verify(token)
        if len(self._verified) >= _MAX_VERIFIED:  # a bound on memory, not a policy
            self._verified.clear()
        self._verified[token or ""] = (caller, expiry)
        return caller

    def _verify(self, token: str | None) -> tuple[str, int]:
        if not token:
            raise _refused(
                f"The {self.audience} service is internal: calls need a service token "
                f"(header {SERVICE_TOKEN_HEADER}), which vodstack's own clients send."
            )
        claims, _, mac = token.rpartition(".")
        parts = claims.split(".")
        if len(parts) != 3 or not parts[2].isdigit():
            raise _refused("The service token is malformed.")
        if not hmac.compare_digest(_mac(self._key, claims).encode(), mac.encode()):
            raise _refused("The service token's signature is wrong (another platform's key?).")
        caller, audience, expiry = parts[0], parts[1], int(parts[2])
        if audience != self.audience:
            raise _refused(f"The service token is for the {audience} service, not this one.")
        now = self._clock()
        if expiry < now:
            raise _refused("The service token has expired.")
        # Checked once: the clock only moves on, so a token not too far ahead now never is.
        if expiry > now + TOKEN_TTL_S + MAX_CLOCK_SKEW_S:
            raise _refused("The service token's expiry is too far ahead (clock skew?).")
        return caller, expiry

    async def require(self, request: Request) -> str:
        """The FastAPI dependency guarding every route of an internal service."""
        caller = self.verify(request.headers.get(SERVICE_TOKEN_HEADER))
        request.state.caller = caller
        return caller


def _refused(message: str) -> Unauthorized:
    return Unauthorized(message, code="service_token_required")
