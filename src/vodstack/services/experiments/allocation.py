"""Deterministic allocation: an account's cell is a pure function of the experiment's salt and
the account id, so every gateway instance, every request and every restart agree without
storing an assignment, and one experiment's split is independent of another's (each has its
own salt)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from vodstack.contracts.experiments import TOTAL_SHARE, Cell


def bucket(salt: str, account_id: int) -> int:
    """The account's bucket in [0, TOTAL_SHARE): the hash's first 60 bits, reduced."""
    digest = hashlib.sha256(f"{salt}:{account_id}".encode()).hexdigest()
    return int(digest[:15], 16) % TOTAL_SHARE


def allocate(salt: str, cells: Sequence[Cell], account_id: int) -> str:
    """The cell whose range of buckets holds the account's (ranges in the cells' order)."""
    point = bucket(salt, account_id)
    edge = 0
    for cell in cells:
        edge += cell.share
        if point < edge:
            return cell.name
    return cells[-1].name  # unreachable when shares add up to TOTAL_SHARE
