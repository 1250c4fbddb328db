"""Finding rows and turning them into contract records; lookups fail with the contract's 404s."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vodstack.contracts.accounts import Account, Profile, SessionInfo
from vodstack.core.errors import NotFound
from vodstack.services.accounts.models import AccountRow, ProfileRow, SessionRow
from vodstack.services.accounts.plans import plan_from_row

# Ids are 32-bit integers in PostgreSQL; anything outside cannot exist, so it is simply not found.
_MAX_ID = 2**31 - 1


def account_from_row(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        role=row.role,
        plan=plan_from_row(row.plan),
        created_at=row.created_at,
    )


def profile_from_row(row: ProfileRow) -> Profile:
    return Profile(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        avatar_color=row.avatar_color,
        maturity=row.maturity,
        has_pin=row.pin_hash is not None,
    )


def session_from_row(token: str, row: SessionRow) -> SessionInfo:
    return SessionInfo(
        session_id=token,
        account=account_from_row(row.account),
        profile=profile_from_row(row.profile) if row.profile is not None else None,
        expires_at=row.expires_at,
    )


def _is_id(value: int) -> bool:
    return 1 <= value <= _MAX_ID


def account_row(db: Session, account_id: int) -> AccountRow:
    row = db.get(AccountRow, account_id) if _is_id(account_id) else None
    if row is None:
        raise NotFound("No such account.", code="account_not_found")
    return row


def lock_account(db: Session, account_id: int) -> None:
    """Take the account's row lock, serializing changes to its profiles."""
    # FOR UPDATE serializes per account on PostgreSQL; SQLite has no row locks but serializes
    # all writers, which the callers' count-after-write checks rely on.
    locked = None
    if _is_id(account_id):
        query = select(AccountRow.id).where(AccountRow.id == account_id).with_for_update()
        locked = db.scalar(query)
    if locked is None:
        raise NotFound("No such account.", code="account_not_found")


def profile_row(db: Session, account_id: int, profile_id: int) -> ProfileRow:
    row = db.get(ProfileRow, profile_id) if _is_id(profile_id) else None
    # Another account's profile answers exactly like a missing one: ids reveal nothing.
    if row is None or row.account_id != account_id:
        raise NotFound("No such profile on this account.", code="profile_not_found")
    return row


def profile_count(db: Session, account_id: int) -> int:
    query = select(func.count()).select_from(ProfileRow).where(ProfileRow.account_id == account_id)
    return int(db.scalar(query) or 0)
