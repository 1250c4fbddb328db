"""The accounts service's logic: accounts and plans here, sessions and profiles beside it.

Everything raises `vodstack.core.errors` exceptions with the codes the contract names and knows
nothing of HTTP. Slow argon2 work runs outside database transactions, so it never holds a lock
or a pooled connection.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import LockoutSettings
from vodstack.contracts.accounts import Account, Plan, PlanCode, Role, SignUp
from vodstack.core.answer_store import Version
from vodstack.core.errors import Conflict
from vodstack.services.accounts.clock import Clock, utc_now
from vodstack.services.accounts.models import AccountRow, PlanRow
from vodstack.services.accounts.my_list import MyList
from vodstack.services.accounts.passwords import Passwords
from vodstack.services.accounts.plans import plan_from_row
from vodstack.services.accounts.profiles import Profiles, default_profile_name, new_profile_row
from vodstack.services.accounts.repository import account_from_row, account_row
from vodstack.services.accounts.sessions import Sessions

log = logging.getLogger(__name__)


def _email_taken() -> Conflict:
    return Conflict(
        "An account with this email already exists. Log in instead, or sign up with another email.",
        code="email_taken",
    )


class Accounts:
    """Sign-up, account look-up and plan changes."""

    def __init__(self, sessions: sessionmaker[Session], passwords: Passwords, clock: Clock) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._clock = clock

    def sign_up(self, body: SignUp, role: Role = Role.VIEWER) -> Account:
        """Create an account with one default profile; 409 `email_taken` if the email is in use."""
        password_hash = self._passwords.hash(body.password)
        now = self._clock()
        try:
            with self._sessions.begin() as db:
                taken = db.scalar(select(AccountRow.id).where(AccountRow.email == body.email))
                if taken is not None:
                    raise _email_taken()
                row = AccountRow(
                    email=body.email,
                    password_hash=password_hash,
                    role=role,
                    plan_code=body.plan,
                    created_at=now,
                )
                db.add(row)
                db.flush()
                # "Who's watching?" is never empty: every account starts with one profile.
                db.add(new_profile_row(row.id, default_profile_name(body.email), now))
                account = account_from_row(row)
        except IntegrityError as exc:
            # The same email signed up concurrently, between our check and our insert.
            raise _email_taken() from exc
        log.info("account %d created (role %s, plan %s)", account.id, role, body.plan)
        return account

    def get(self, account_id: int) -> Account:
        with self._sessions() as db:
            return account_from_row(account_row(db, account_id))

    def change_plan(self, account_id: int, plan: PlanCode) -> Account:
        with self._sessions.begin() as db:
            row = account_row(db, account_id)
            row.plan_code = plan
            db.flush()
            db.refresh(row)
            return account_from_row(row)

    def plans(self) -> list[Plan]:
        with self._sessions() as db:
            rows = db.scalars(select(PlanRow).order_by(PlanRow.price_cents))
            return [plan_from_row(row) for row in rows]


class AccountsService:
    """The service's parts over one database, one hasher and one clock."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        passwords: Passwords,
        *,
        session_ttl: timedelta,
        limits: LockoutSettings | None = None,
        clock: Clock = utc_now,
        data_version: Version | None = None,
    ) -> None:
        """`data_version` (SQLite's, core.db) lets session checks skip the database while no
        one has written to it (core.data_memo); without it every check reads."""
        self.accounts = Accounts(sessions, passwords, clock)
        self.profiles = Profiles(sessions, passwords, clock)
        self.my_list = MyList(sessions, clock)
        self.sessions = Sessions(
            sessions, passwords, clock, session_ttl, limits or LockoutSettings(), data_version
        )
