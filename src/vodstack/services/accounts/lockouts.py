"""Growing lock-outs against guessing: PINs per profile and per account, passwords per account.

An attempt is counted *before* its secret is checked (`reserve`), and a success clears the
count (`clear`): a burst of parallel guesses cannot slip past the limit while argon2 runs, and
a correct guess during a lock-out is refused like a wrong one, so a lock-out cannot be probed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import AttemptLimit
from vodstack.core.errors import TooManyRequests
from vodstack.services.accounts.clock import Clock
from vodstack.services.accounts.models import AttemptRow


@dataclass(frozen=True)
class Guarded:
    """One counter: its key (`pin:profile:12`) and the limit that applies to it."""

    key: str
    limit: AttemptLimit


class Locked(Exception):
    """A counter is locked for `retry_after_s` more seconds."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(retry_after_s)
        self.retry_after_s = retry_after_s


class Lockouts:
    """Counters of failed attempts with their lock-outs, in the accounts database."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def reserve(self, guarded: Sequence[Guarded]) -> None:
        """Count one attempt on every counter; `Locked` (and nothing counted) if one is locked."""
        try:
            self._reserve(guarded)
        except IntegrityError:
            # Another attempt created the same counter at the same moment: count on it.
            self._reserve(guarded)

    def clear(self, guarded: Sequence[Guarded]) -> None:
        """A success: the counters start afresh."""
        with self._sessions.begin() as db:
            db.execute(delete(AttemptRow).where(AttemptRow.key.in_([g.key for g in guarded])))

    def purge_stale(self) -> int:
        """Drop counters neither locked nor touched for a day; returns how many went."""
        now = self._clock()
        with self._sessions.begin() as db:
            query = delete(AttemptRow).where(
                AttemptRow.updated_at <= now - timedelta(days=1),
                (AttemptRow.locked_until.is_(None)) | (AttemptRow.locked_until <= now),
            )
            return cast(CursorResult[Any], db.execute(query)).rowcount

    def _reserve(self, guarded: Sequence[Guarded]) -> None:
        now = self._clock()
        keys = [g.key for g in guarded]
        with self._sessions.begin() as db:
            # A write first: SQLite then holds its writer lock before reading (a read first
            # would see a snapshot other attempts are about to change); PostgreSQL locks rows.
            db.execute(
                update(AttemptRow).where(AttemptRow.key.in_(keys)).values(key=AttemptRow.key)
            )
            rows = [(g, _row_for_update(db, g.key, now)) for g in guarded]
            waits = [_seconds_locked(row, now) for _, row in rows]
            if max(waits, default=0) > 0:
                raise Locked(max(waits))  # rolls back: nothing counted
            for g, row in rows:
                _count_failure(row, g.limit, now)


def _row_for_update(db: Session, key: str, now: datetime) -> AttemptRow:
    query = select(AttemptRow).where(AttemptRow.key == key).with_for_update()
    row = db.scalar(query)
    if row is None:
        row = AttemptRow(key=key, failures=0, lockouts=0, locked_until=None, updated_at=now)
        db.add(row)
        db.flush()
    return row


def _seconds_locked(row: AttemptRow, now: datetime) -> int:
    if row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, math.ceil((row.locked_until - now).total_seconds()))


def _count_failure(row: AttemptRow, limit: AttemptLimit, now: datetime) -> None:
    if now - row.updated_at > timedelta(seconds=limit.forget_after_s):
        row.failures, row.lockouts = 0, 0
    row.failures += 1
    row.updated_at = now
    if row.failures >= limit.max_failures:
        seconds = min(limit.max_lockout_s, limit.lockout_s * 2**row.lockouts)
        row.locked_until = now + timedelta(seconds=seconds)
        row.lockouts += 1
        row.failures = 0


def too_many(what: str, retry_after_s: int) -> TooManyRequests:
    """The 429 a person reads: what is locked and for how long."""
    return TooManyRequests(
        f"Too many wrong attempts: {what} is locked for {retry_after_s} s. "
        "Wait and try again; each further lock-out lasts longer.",
        retry_after=retry_after_s,
        code="locked_out",
    )
