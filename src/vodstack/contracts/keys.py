"""Content keys and Clear Key licences: what the packager, the licence service and players send.

A content key is AES-128 with a 16-byte key id (KID), one per asset version (issue 20,
point 5). The packager asks the key service for the version's key (hex, over the internal API);
players ask for a licence in the W3C Clear Key format (EME, "Clear Key" section): a JSON body
naming key ids in base64url, answered with a JSON Web Key set of the keys they may have.
"""

from __future__ import annotations

import base64
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

Hex16 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
#: A 16-byte key id in unpadded base64url, as Clear Key licence requests carry it.
B64Kid = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{22}$")]
#: The W3C system id of Clear Key, as DASH's ContentProtection and `pssh` boxes name it.
CLEARKEY_SYSTEM_ID = "e2719d58-a985-b3c9-781a-b030af78d30e"
CLEARKEY_KEY_SYSTEM = "org.w3.clearkey"


class ContentKeyRequest(BaseModel):
    title_id: int = Field(ge=1)
    asset_version: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")


class ContentKeyGrant(BaseModel):
    """A version's key, for the packager only (internal API, service token)."""

    kid: Hex16
    key: Hex16


class LicenceRequest(BaseModel):
    """A Clear Key licence request (the CDM's `message` of type `license-request`)."""

    kids: list[B64Kid] = Field(min_length=1, max_length=16)
    type: Literal["temporary", "persistent-license"] = "temporary"


class JsonWebKey(BaseModel):
    kty: Literal["oct"] = "oct"
    kid: B64Kid
    k: str


class Licence(BaseModel):
    keys: list[JsonWebKey]
    type: Literal["temporary"] = "temporary"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
