"""Session tokens: random, URL-safe, and stored only as a digest."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh session token (32 random bytes, base64url: 43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) the database keeps instead of the token.

    A fast hash is enough here: tokens carry 256 random bits, so unlike passwords they cannot be
    guessed from a leaked digest.
    """
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
