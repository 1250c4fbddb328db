"""The accounts service's tables: plans, accounts, household profiles, server-side sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from vodstack.contracts.accounts import PlanCode, Role
from vodstack.contracts.common import Maturity
from vodstack.core.db import UTCDateTime

SESSION_HASH_LENGTH = 64  # hex SHA-256


def _str_enum(enum_type: type[Role] | type[PlanCode] | type[Maturity]) -> Enum:
    # Stored as the wire value in a plain VARCHAR (+ CHECK): portable, and no PostgreSQL enum type
    # to migrate when a value is added.
    return Enum(
        enum_type,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    pass


class PlanRow(Base):
    __tablename__ = "plans"

    code: Mapped[PlanCode] = mapped_column(_str_enum(PlanCode), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    max_height: Mapped[int] = mapped_column(Integer)
    max_streams: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(_str_enum(Role))
    plan_code: Mapped[PlanCode] = mapped_column(_str_enum(PlanCode), ForeignKey("plans.code"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    plan: Mapped[PlanRow] = relationship(lazy="joined")


class ProfileRow(Base):
    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(40))
    avatar_color: Mapped[str] = mapped_column(String(7))
    maturity: Mapped[Maturity] = mapped_column(_str_enum(Maturity))
    pin_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionRow(Base):
    """A logged-in device. Only the token's SHA-256 is stored, so a leaked table logs no one in."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(SESSION_HASH_LENGTH), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("profiles.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    account: Mapped[AccountRow] = relationship(lazy="joined")
    profile: Mapped[ProfileRow | None] = relationship(lazy="joined")


class AttemptRow(Base):
    """Failed guesses against one secret (a profile's PIN, an email's password) and its lock.

    Kept in the database rather than a gateway's memory so the limit holds across gateway
    instances and client addresses.
    """

    __tablename__ = "attempts"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    # Lock-outs served so far: the next one lasts lockout_s * 2**lockouts.
    lockouts: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ListEntryRow(Base):
    """A title on a profile's "My List"; goes with the profile (ON DELETE CASCADE)."""

    __tablename__ = "list_entries"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    title_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
