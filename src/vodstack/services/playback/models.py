"""The playback service's tables: play sessions, revocations, and one lock row per account.

Resume points moved to the history service. Databases created before that keep a `bookmarks`
table: it is left alone (never read or written, never dropped): starting a service must not run
destructive DDL, and `create_all` ignores tables it does not know.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Enum,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vodstack.contracts.playback import EndReason
from vodstack.core.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class PlaySessionRow(Base):
    __tablename__ = "play_sessions"
    __table_args__ = (
        Index("ix_play_sessions_account_open", "account_id", "ended_at"),
        # The sweep's search for silent streams (repository.sweep): the open sessions by their
        # last heartbeat, not a scan of every session ever started.
        Index(
            "ix_play_sessions_silent",
            "last_heartbeat_at",
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(Integer)
    profile_id: Mapped[int] = mapped_column(Integer)
    title_id: Mapped[int] = mapped_column(Integer)
    asset_version: Mapped[str] = mapped_column(String(128))
    region: Mapped[str | None] = mapped_column(String(32))
    max_height: Mapped[int] = mapped_column(Integer)
    #: The ranked edge base URLs handed out at start; manifests are signed on the first.
    edges: Mapped[list[str]] = mapped_column(JSON)
    token_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())
    position_s: Mapped[float] = mapped_column(Float, default=0.0)
    rendition: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[EndReason | None] = mapped_column(
        Enum(
            EndReason,
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [member.value for member in members],
        )
    )


class AccountLockRow(Base):
    """Written first in a start's transaction, so two starts of one account run one at a time."""

    __tablename__ = "account_locks"

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlayLoginRow(Base):
    """Which gateway log-in started a session, so logging out can end it (a table of its own so
    existing databases gain it without a migration)."""

    __tablename__ = "play_logins"

    play_session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    login_ref: Mapped[str] = mapped_column(String(32), index=True)


class RevocationRow(Base):
    """An ended session whose segment token is still unexpired: edges refuse it."""

    __tablename__ = "revocations"

    play_session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    token_expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: Its place in commit order (`RevocationCounterRow`), given again when it is refreshed;
    #: None for rows written before the counter existed (only a full listing shows them).
    seq: Mapped[int | None] = mapped_column(Integer, index=True)


class RevocationCounterRow(Base):
    """The last `RevocationRow.seq` handed out: one row, incremented by every transaction that
    writes revocations, which holds its lock (PostgreSQL's row lock, SQLite's write lock) until
    it commits, so numbers are in commit order: a poller that read up to N never meets a later
    commit below N (services/playback/revocations.py). A counter, not max(seq): expired rows
    are deleted, and the newest of them may go first."""

    __tablename__ = "revocation_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)


class ContentKeyRow(Base):
    """One asset version's content key, wrapped (AES-GCM) under a key derived from the
    platform secret: a copy of the database alone opens no content (services/playback/keys)."""

    __tablename__ = "content_keys"
    __table_args__ = (UniqueConstraint("asset_version", name="uq_content_keys_asset_version"),)

    kid: Mapped[str] = mapped_column(String(32), primary_key=True)
    title_id: Mapped[int] = mapped_column(Integer)
    asset_version: Mapped[str] = mapped_column(String(128))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
