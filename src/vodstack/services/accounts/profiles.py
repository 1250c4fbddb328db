"""Household profiles: who is watching, at which maturity level, optionally behind a PIN."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from vodstack.contracts.accounts import MAX_PROFILES, Profile, ProfileCreate, ProfileUpdate
from vodstack.contracts.common import Maturity
from vodstack.core.errors import Conflict, Invalid
from vodstack.services.accounts.clock import Clock
from vodstack.services.accounts.models import ProfileRow, SessionRow
from vodstack.services.accounts.passwords import Passwords
from vodstack.services.accounts.repository import (
    account_row,
    lock_account,
    profile_count,
    profile_from_row,
    profile_row,
)

DEFAULT_AVATAR_COLOR = "#e50914"
_NAME_MAX = 40


def default_profile_name(email: str) -> str:
    """The first profile is named after the email's local part, so it is recognisable."""
    return email.partition("@")[0][:_NAME_MAX] or "Me"


def new_profile_row(account_id: int, name: str, now: datetime) -> ProfileRow:
    """An adult profile without PIN, in the default colour."""
    return ProfileRow(
        account_id=account_id,
        name=name,
        avatar_color=DEFAULT_AVATAR_COLOR,
        maturity=Maturity.ADULT,
        pin_hash=None,
        created_at=now,
    )


class Profiles:
    """Profile operations, each scoped to one account: another account's profile is 404."""

    def __init__(self, sessions: sessionmaker[Session], passwords: Passwords, clock: Clock) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._clock = clock

    def of_account(self, account_id: int) -> list[Profile]:
        with self._sessions() as db:
            account_row(db, account_id)
            query = select(ProfileRow).where(ProfileRow.account_id == account_id)
            return [profile_from_row(row) for row in db.scalars(query.order_by(ProfileRow.id))]

    def get(self, account_id: int, profile_id: int) -> Profile:
        with self._sessions() as db:
            return profile_from_row(profile_row(db, account_id, profile_id))

    def create(self, account_id: int, body: ProfileCreate) -> Profile:
        """Add a profile; 409 `profile_limit` beyond MAX_PROFILES."""
        pin_hash = self._passwords.hash(body.pin) if body.pin is not None else None
        with self._sessions.begin() as db:
            lock_account(db, account_id)
            row = new_profile_row(account_id, body.name, self._clock())
            row.avatar_color = body.avatar_color
            row.maturity = body.maturity
            row.pin_hash = pin_hash
            db.add(row)
            db.flush()
            # Counting after the insert, under the account lock, keeps the limit exact when two
            # profiles are added at once: the one that overflows rolls back.
            if profile_count(db, account_id) > MAX_PROFILES:
                raise Conflict(
                    f"An account can have at most {MAX_PROFILES} profiles; "
                    "delete one to add another.",
                    code="profile_limit",
                )
            return profile_from_row(row)

    def update(self, account_id: int, profile_id: int, body: ProfileUpdate) -> Profile:
        """Change the fields given; `pin` sets a new PIN, `clear_pin` removes it."""
        if body.pin is not None and body.clear_pin:
            raise Invalid("Either set a new pin or clear it, not both.")
        pin_hash = self._passwords.hash(body.pin) if body.pin is not None else None
        with self._sessions.begin() as db:
            row = profile_row(db, account_id, profile_id)
            if body.name is not None:
                row.name = body.name
            if body.avatar_color is not None:
                row.avatar_color = body.avatar_color
            if body.maturity is not None:
                row.maturity = body.maturity
            if pin_hash is not None or body.clear_pin:
                row.pin_hash = pin_hash
            return profile_from_row(row)

    def delete(self, account_id: int, profile_id: int) -> None:
        """Remove a profile and deselect it wherever it was selected; the last one stays (409)."""
        with self._sessions.begin() as db:
            lock_account(db, account_id)
            row = profile_row(db, account_id, profile_id)
            deselect = update(SessionRow).where(SessionRow.profile_id == row.id)
            db.execute(deselect.values(profile_id=None))
            db.delete(row)
            db.flush()
            # "Who's watching?" must never be empty.
            if profile_count(db, account_id) == 0:
                raise Conflict(
                    "An account keeps at least one profile; add another before deleting this one.",
                    code="last_profile",
                )
