"""The key service: one AES-128 content key per asset version, held wrapped at rest.

The packager asks for a version's key (`issue`: the same answer every time, so a retried
PACKAGE task encrypts with the key the first attempt used); the licence route asks for keys by
id (`by_kid`). A key is never stored in the clear: the row holds AES-GCM(kek, key) with the key
id as associated data, so a wrapped key cannot be moved to another id. The key-encryption key is
derived from the platform secret under a label of its own (like the service-token and
segment-signing keys): a copy of the database without the secret opens no content, and every
instance of the service can unwrap with nothing new to distribute. Rotating the secret means
re-wrapping the rows (docs/security.md, "Content keys").
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vodstack.services.playback.models import ContentKeyRow

KEK_CONTEXT = b"vodstack-content-key-wrapping-v1"
_NONCE = 12


@dataclass(frozen=True, slots=True)
class ContentKey:
    kid: bytes
    key: bytes
    title_id: int
    asset_version: str


class KeyWrap:
    """AES-GCM under a key-encryption key derived from the platform secret."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(hmac.digest(secret, KEK_CONTEXT, hashlib.sha256))

    def wrap(self, kid: bytes, key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, key, kid)

    def unwrap(self, kid: bytes, wrapped: bytes) -> bytes:
        # InvalidTag here means the row was written under another secret or tampered with.
        return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], kid)


class KeyVault:
    def __init__(
        self, sessions: sessionmaker[Session], wrap: KeyWrap, clock: Callable[[], datetime]
    ) -> None:
        self._sessions = sessions
        self._wrap = wrap
        self._clock = clock

    def issue(self, title_id: int, asset_version: str) -> ContentKey:
        """The version's key, made on first request; later requests get the same key."""
        found = self._by_version(asset_version)
        if found is not None:
            return found
        kid, key = os.urandom(16), os.urandom(16)
        row = ContentKeyRow(
            kid=kid.hex(),
            title_id=title_id,
            asset_version=asset_version,
            wrapped=self._wrap.wrap(kid, key),
            created_at=self._clock(),
        )
        try:
            with self._sessions.begin() as db:
                db.add(row)
        except IntegrityError:
            # Two packagers asked at once: the first insert won, everyone uses its key.
            pass
        found = self._by_version(asset_version)
        if found is None:
            raise RuntimeError(f"content key for {asset_version} vanished after insert")
        return found

    def by_kid(self, kid: bytes) -> ContentKey | None:
        with self._sessions() as db:
            row = db.get(ContentKeyRow, kid.hex())
            return None if row is None else self._open(row)

    def _by_version(self, asset_version: str) -> ContentKey | None:
        with self._sessions() as db:
            row = db.scalar(
                select(ContentKeyRow).where(ContentKeyRow.asset_version == asset_version)
            )
            return None if row is None else self._open(row)

    def _open(self, row: ContentKeyRow) -> ContentKey:
        kid = bytes.fromhex(row.kid)
        key = self._wrap.unwrap(kid, row.wrapped)
        return ContentKey(kid=kid, key=key, title_id=row.title_id, asset_version=row.asset_version)
