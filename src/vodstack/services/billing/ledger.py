"""Reading the billing tables into the wire contract (rows never leave the service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodstack.contracts.billing import (
    BillingOverview,
    Invoice,
    InvoiceStatus,
    PaymentAttempt,
    Subscription,
    SubscriptionStatus,
    UpcomingInvoice,
)
from vodstack.contracts.plans import plan_by_code
from vodstack.core.errors import NotFound
from vodstack.services.billing.models import InvoiceRow, PaymentAttemptRow, SubscriptionRow

HISTORY = 24  # invoices and attempts shown in an overview


def subscription_row(db: Session, account_id: int) -> SubscriptionRow:
    row = db.get(SubscriptionRow, account_id)
    if row is None:
        raise NotFound(f"Account {account_id} has no subscription.", code="no_subscription")
    return row


def open_invoices(db: Session, account_id: int) -> list[InvoiceRow]:
    query = select(InvoiceRow).where(
        InvoiceRow.account_id == account_id, InvoiceRow.status == InvoiceStatus.OPEN
    )
    return list(db.scalars(query))


def renewal_cents(row: SubscriptionRow) -> int:
    """The next renewal's amount: the plan's price less any credit."""
    return max(0, plan_by_code(row.plan).price_cents - row.credit_cents)


def overview(db: Session, account_id: int) -> BillingOverview:
    row = subscription_row(db, account_id)
    invoices = db.scalars(
        select(InvoiceRow)
        .where(InvoiceRow.account_id == account_id)
        .order_by(InvoiceRow.id.desc())
        .limit(HISTORY)
    )
    attempts = db.scalars(
        select(PaymentAttemptRow)
        .where(PaymentAttemptRow.account_id == account_id)
        .order_by(PaymentAttemptRow.id.desc())
        .limit(HISTORY)
    )
    return BillingOverview(
        subscription=subscription(row),
        upcoming=_upcoming(row),
        invoices=[Invoice.model_validate(invoice, from_attributes=True) for invoice in invoices],
        attempts=[PaymentAttempt.model_validate(a, from_attributes=True) for a in attempts],
    )


def subscription(row: SubscriptionRow) -> Subscription:
    return Subscription.model_validate(row, from_attributes=True)


def _upcoming(row: SubscriptionRow) -> UpcomingInvoice | None:
    if row.status is SubscriptionStatus.CANCELLED:
        return None
    return UpcomingInvoice(amount_cents=renewal_cents(row), due_at=row.period_end, plan=row.plan)


def due_renewals(db: Session, now: datetime) -> list[int]:
    """Active subscriptions whose period has ended: they renew (a past-due one renews once it
    is paid, so an unpaid account does not pile up invoices)."""
    query = select(SubscriptionRow.account_id).where(
        SubscriptionRow.status == SubscriptionStatus.ACTIVE, SubscriptionRow.period_end <= now
    )
    return list(db.scalars(query))


def due_invoices(db: Session, now: datetime) -> list[int]:
    query = (
        select(InvoiceRow.id)
        .where(InvoiceRow.status == InvoiceStatus.OPEN, InvoiceRow.next_attempt_at <= now)
        .order_by(InvoiceRow.next_attempt_at)
    )
    return list(db.scalars(query))
