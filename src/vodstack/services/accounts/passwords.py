"""Argon2id hashing of passwords and profile PINs.

The running service uses argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, t=3).
Tests pass a cheap `argon2.PasswordHasher` in; nothing else should.
"""

from __future__ import annotations

import os
import secrets
import threading

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """Hashes and checks secrets; an unknown user costs the same time as a wrong password."""

    def __init__(
        self, hasher: argon2.PasswordHasher | None = None, *, max_parallel: int | None = None
    ) -> None:
        self._hasher = hasher or argon2.PasswordHasher()
        # argon2 releases the GIL and each hash holds its memory cost (64 MiB by default): more
        # hashes at once than cores only adds memory, so a burst of log-ins queues here instead.
        self._slots = threading.BoundedSemaphore(max_parallel or os.cpu_count() or 1)
        # Verifying against this when there is no stored hash keeps "unknown email" as slow as
        # "wrong password", so response times do not reveal which emails have accounts.
        self._dummy_hash = self.hash(secrets.token_urlsafe(16))

    def hash(self, secret: str) -> str:
        with self._slots:
            return self._hasher.hash(secret)

    def verify(self, stored_hash: str | None, secret: str) -> bool:
        """Whether `secret` matches `stored_hash`; with no hash, spends the time and says no."""
        try:
            with self._slots:
                matched = self._hasher.verify(stored_hash or self._dummy_hash, secret)
        except (VerificationError, InvalidHashError):
            return False
        return matched and stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        """True when the hash was made with other parameters than the current ones."""
        return self._hasher.check_needs_rehash(stored_hash)
