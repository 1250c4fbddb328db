"""The accounts service under test: a cheap, counting hasher and the shared constants."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import argon2

from tests.support.clock import FakeClock

SESSION_TTL = timedelta(hours=1)

__all__ = ["SESSION_TTL", "CountingHasher", "FakeClock"]


class CountingHasher(argon2.PasswordHasher):
    """Cheapest argon2 parameters (tests only), counting verifications."""

    def __init__(self, time_cost: int = 1) -> None:
        super().__init__(time_cost=time_cost, memory_cost=8, parallelism=1, hash_len=16, salt_len=8)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)
