"""Server-side log-in sessions: opaque random tokens, stored as digests, with a fixed lifetime."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import LockoutSettings
from vodstack.contracts.accounts import Credentials, ProfileSelect, SessionInfo
from vodstack.core.answer_store import Version
from vodstack.core.data_memo import DataMemo
from vodstack.core.errors import Forbidden, NotFound, Unauthorized
from vodstack.services.accounts.clock import Clock
from vodstack.services.accounts.lockouts import Guarded, Locked, Lockouts, too_many
from vodstack.services.accounts.models import AccountRow, ProfileRow, SessionRow
from vodstack.services.accounts.passwords import Passwords
from vodstack.services.accounts.repository import profile_row, session_from_row
from vodstack.services.accounts.tokens import new_token, token_digest


class Sessions:
    """Log in, look up, select a profile, log out."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        passwords: Passwords,
        clock: Clock,
        ttl: timedelta,
        limits: LockoutSettings,
        data_version: Version | None = None,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._clock = clock
        self._ttl = ttl
        self._limits = limits
        self.lockouts = Lockouts(sessions, clock)
        # Live sessions as last read, until the database changes (the clock is applied on
        # every check): what a page view's session check costs (bench/services.py).
        self._memo: DataMemo[str, SessionInfo] = DataMemo(data_version)

    def log_in(self, credentials: Credentials) -> SessionInfo:
        """A new session; 401 `bad_credentials` alike for an unknown email and a wrong password,
        429 `locked_out` after too many failures for this email (whatever the client address)."""
        # Keyed on the email, existing or not, so a lock-out does not reveal which emails exist.
        guarded = [Guarded(_login_key(credentials.email), self._limits.account_login)]
        self._reserve(guarded, "log-in to this account")
        with self._sessions() as db:
            account = db.scalar(select(AccountRow).where(AccountRow.email == credentials.email))
        stored_hash = account.password_hash if account is not None else None
        if not self._passwords.verify(stored_hash, credentials.password) or account is None:
            raise Unauthorized("Wrong email or password.", code="bad_credentials")
        self.lockouts.clear(guarded)
        token = new_token()
        now = self._clock()
        with self._sessions.begin() as db:
            # Old expired sessions of this account go now; purge_expired covers the others.
            db.execute(
                delete(SessionRow).where(
                    SessionRow.account_id == account.id, SessionRow.expires_at <= now
                )
            )
            row = SessionRow(
                token_hash=token_digest(token),
                account_id=account.id,
                profile_id=None,
                created_at=now,
                expires_at=now + self._ttl,
            )
            db.add(row)
            db.flush()
            info = session_from_row(token, row)
        self._upgrade_hash(account, credentials.password)
        return info

    def get(self, session_id: str) -> SessionInfo:
        """The live session; 404 `session_not_found` if unknown, logged out or expired."""
        return self._memo.load(session_id, partial(self._read, session_id))

    def cached(self, session_id: str) -> SessionInfo | None:
        """The live session without touching the database, if no one wrote since it was read
        (never blocks: for the event loop); None = ask `get`."""
        info = self._memo.get(session_id)
        if info is None or info.expires_at <= self._clock():
            return None
        return info

    def _read(self, session_id: str) -> SessionInfo:
        with self._sessions() as db:
            return session_from_row(session_id, self._live(db, session_id))

    def log_out(self, session_id: str) -> None:
        """End the session. Idempotent: an unknown session is already logged out."""
        with self._sessions.begin() as db:
            db.execute(delete(SessionRow).where(SessionRow.token_hash == token_digest(session_id)))

    def select_profile(self, session_id: str, body: ProfileSelect) -> SessionInfo:
        """Pick who is watching; 404 for another account's profile, 403 `wrong_pin`, 429
        `locked_out` after too many wrong PINs for this profile or this account."""
        with self._sessions() as db:
            session = self._live(db, session_id)
            profile = profile_row(db, session.account_id, body.profile_id)
        if profile.pin_hash is not None:
            self._check_pin(profile, body.pin)
        return self._set_profile(session_id, profile.id)

    def clear_profile(self, session_id: str) -> SessionInfo:
        """Back to "Who's watching?"."""
        return self._set_profile(session_id, None)

    def purge_expired(self) -> int:
        """Delete every expired session; returns how many went."""
        with self._sessions.begin() as db:
            query = delete(SessionRow).where(SessionRow.expires_at <= self._clock())
            return cast(CursorResult[Any], db.execute(query)).rowcount

    def _live(self, db: Session, session_id: str) -> SessionRow:
        row = db.get(SessionRow, token_digest(session_id))
        if row is None or row.expires_at <= self._clock():
            raise NotFound(
                "This session has expired or was logged out; log in again.",
                code="session_not_found",
            )
        return row

    def _set_profile(self, session_id: str, profile_id: int | None) -> SessionInfo:
        with self._sessions.begin() as db:
            # Re-read under the write: the session may have ended since it was checked.
            row = self._live(db, session_id)
            if profile_id is not None:
                profile_row(db, row.account_id, profile_id)  # and the profile still exists
            row.profile_id = profile_id
            db.flush()
            db.refresh(row)
            return session_from_row(session_id, row)

    def _check_pin(self, profile: ProfileRow, pin: str | None) -> None:
        if pin is None:  # asking for the PIN prompt is not a guess
            raise Forbidden("This profile is locked; enter its 4-digit PIN.", code="wrong_pin")
        guarded = [
            Guarded(f"pin:profile:{profile.id}", self._limits.profile_pin),
            Guarded(f"pin:account:{profile.account_id}", self._limits.account_pin),
        ]
        self._reserve(guarded, "this profile's PIN")
        if not self._passwords.verify(profile.pin_hash, pin):
            raise Forbidden("Wrong PIN for this profile.", code="wrong_pin")
        self.lockouts.clear(guarded)

    def _reserve(self, guarded: list[Guarded], what: str) -> None:
        try:
            self.lockouts.reserve(guarded)
        except Locked as exc:
            raise too_many(what, exc.retry_after_s) from exc

    def _upgrade_hash(self, account: AccountRow, password: str) -> None:
        # Hashes made with older (weaker) parameters are replaced at the next successful log-in.
        if not self._passwords.needs_rehash(account.password_hash):
            return
        new_hash = self._passwords.hash(password)
        with self._sessions.begin() as db:
            query = update(AccountRow).where(AccountRow.id == account.id)
            db.execute(query.values(password_hash=new_hash))


def _login_key(email: str) -> str:
    # A digest: the table holds no email addresses, and any address fits the key column.
    return "login:" + hashlib.sha256(email.encode()).hexdigest()[:48]
