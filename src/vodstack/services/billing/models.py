"""The billing service's tables: subscriptions, invoices, payment attempts, idempotency keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vodstack.contracts.accounts import PlanCode
from vodstack.contracts.billing import (
    AttemptOutcome,
    InvoiceKind,
    InvoiceStatus,
    SubscriptionStatus,
)
from vodstack.core.db import UTCDateTime


def _enum(kind: type[StrEnum]) -> Enum:
    # Stored as the value strings, checked by a constraint: readable in any SQL client.
    return Enum(
        kind,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class Base(DeclarativeBase):
    pass


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    plan: Mapped[PlanCode] = mapped_column(_enum(PlanCode))
    status: Mapped[SubscriptionStatus] = mapped_column(_enum(SubscriptionStatus))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    credit_cents: Mapped[int] = mapped_column(Integer, default=0)
    payment_method: Mapped[str] = mapped_column(String(64))
    past_due_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(200))


class InvoiceRow(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_account", "account_id", "id"),
        Index("ix_invoices_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.account_id"))
    kind: Mapped[InvoiceKind] = mapped_column(_enum(InvoiceKind))
    plan: Mapped[PlanCode] = mapped_column(_enum(PlanCode))
    amount_cents: Mapped[int] = mapped_column(Integer)
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PaymentAttemptRow(Base):
    __tablename__ = "payment_attempts"
    __table_args__ = (Index("ix_attempts_account", "account_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    account_id: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[AttemptOutcome] = mapped_column(_enum(AttemptOutcome))
    message: Mapped[str] = mapped_column(String(300))
    amount_cents: Mapped[int] = mapped_column(Integer)


class IdempotencyRow(Base):
    """One mutating call: claimed before it runs (the primary key is the guard against two
    concurrent runs), its answer stored when it ends, replayed to every retry."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(240), primary_key=True)  # scope + the client's key
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the call runs
    response_body: Mapped[str | None] = mapped_column(Text)


class SubscriptionChangeRow(Base):
    """One committed change of an account's subscription (billing/changes.py): the feed
    playback's kept entitlements are dropped by. `seq` only grows (AUTOINCREMENT)."""

    __tablename__ = "subscription_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(Integer)
