"""Collecting an invoice: one payment attempt through the provider, and what its outcome means.

The provider is called outside any database transaction (it can take seconds), so an attempt
is two transactions around the call. The charge key names the invoice and the attempt number:
two processes collecting the same attempt at once (dunning and a card update) send the same
key, the provider charges it once, and only the first to write records it.

Dunning, for invoices that retry (renewals): a failure makes the subscription past due (the
grace period starts at the first one) and schedules the next attempt `retry_schedule_s[n-1]`
later; when the last scheduled attempt fails, the invoice is uncollectible and the subscription
is cancelled. A success makes a past-due subscription active again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import BillingSettings
from vodstack.contracts.billing import AttemptOutcome, InvoiceStatus, SubscriptionStatus
from vodstack.services.billing.clock import Clock
from vodstack.services.billing.ledger import open_invoices
from vodstack.services.billing.models import InvoiceRow, PaymentAttemptRow, SubscriptionRow
from vodstack.services.billing.provider import Charge, ChargeResult, PaymentProvider


@dataclass(frozen=True)
class _Pending:
    number: int  # the attempt's number (1 = first)
    charge: Charge


class Collector:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        provider: PaymentProvider,
        settings: BillingSettings,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._provider = provider
        self._settings = settings
        self._clock = clock

    def collect(self, invoice_id: int, *, retries: bool) -> AttemptOutcome | None:
        """One attempt on an open invoice; None if it was not open (paid or voided meanwhile).

        `retries`: on failure, schedule dunning (renewals); without, the caller handles it.
        """
        pending = self._prepare(invoice_id)
        if pending is None:
            return None
        result = self._provider.charge(pending.charge)
        self._record(invoice_id, pending, result, retries=retries)
        return result.outcome

    def _prepare(self, invoice_id: int) -> _Pending | None:
        with self._sessions() as db:
            invoice = db.get(InvoiceRow, invoice_id)
            if invoice is None or invoice.status is not InvoiceStatus.OPEN:
                return None
            method = db.get_one(SubscriptionRow, invoice.account_id).payment_method
            number = invoice.attempts + 1
            key = f"invoice-{invoice.id}-attempt-{number}"
            return _Pending(number, Charge(key, method, invoice.amount_cents))

    def _record(
        self, invoice_id: int, pending: _Pending, result: ChargeResult, *, retries: bool
    ) -> None:
        now = self._clock()
        with self._sessions.begin() as db:
            invoice = db.get_one(InvoiceRow, invoice_id)
            if invoice.attempts != pending.number - 1:
                return  # a concurrent collector recorded this very attempt (same charge key)
            invoice.attempts = pending.number
            db.add(
                PaymentAttemptRow(
                    invoice_id=invoice.id,
                    account_id=invoice.account_id,
                    attempted_at=now,
                    outcome=result.outcome,
                    message=result.message,
                    amount_cents=invoice.amount_cents,
                )
            )
            subscription = db.get_one(SubscriptionRow, invoice.account_id)
            if result.outcome is AttemptOutcome.SUCCEEDED:
                _paid(db, invoice, subscription, now)
            elif retries:
                self._failed(db, invoice, subscription)
            else:
                invoice.next_attempt_at = None

    def _failed(self, db: Session, invoice: InvoiceRow, subscription: SubscriptionRow) -> None:
        now = self._clock()
        schedule = self._settings.retry_schedule_s
        if invoice.attempts <= len(schedule):
            invoice.next_attempt_at = now + timedelta(seconds=schedule[invoice.attempts - 1])
            if subscription.status is SubscriptionStatus.ACTIVE:
                subscription.status = SubscriptionStatus.PAST_DUE
                subscription.past_due_since = now
            return
        invoice.status = InvoiceStatus.UNCOLLECTIBLE
        invoice.next_attempt_at = None
        cancel(
            db,
            subscription,
            now,
            f"payment failed {invoice.attempts} times (invoice {invoice.id})",
        )


def _paid(db: Session, invoice: InvoiceRow, subscription: SubscriptionRow, now: datetime) -> None:
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = now
    invoice.next_attempt_at = None
    db.flush()  # so the look-up below no longer sees this invoice as open
    if subscription.status is SubscriptionStatus.PAST_DUE and not open_invoices(
        db, subscription.account_id
    ):
        subscription.status = SubscriptionStatus.ACTIVE
        subscription.past_due_since = None


def cancel(db: Session, subscription: SubscriptionRow, now: datetime, reason: str) -> None:
    """Cancel now: nothing more is charged, and what was still owed is voided."""
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.cancelled_at = now
    subscription.cancel_reason = reason
    subscription.past_due_since = None
    for invoice in open_invoices(db, subscription.account_id):
        invoice.status = InvoiceStatus.VOID
        invoice.next_attempt_at = None
