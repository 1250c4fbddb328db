"""Subscriptions: starting, changing plan (prorated), paying method, cancelling, entitlement.

A charge that must succeed for the change to happen (the first period, an upgrade's proration)
is tried once while the caller waits; if declined, nothing changes and the caller gets 402.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import BillingSettings
from vodstack.contracts.accounts import PlanCode
from vodstack.contracts.billing import (
    AttemptOutcome,
    BilledAccounts,
    BillingOverview,
    Entitlement,
    InvoiceKind,
    InvoiceStatus,
    Subscribe,
    SubscriptionStatus,
)
from vodstack.contracts.common import Changes
from vodstack.contracts.plans import plan_by_code
from vodstack.core.answer_store import Version
from vodstack.core.data_memo import DataMemo
from vodstack.core.errors import Conflict, PaymentRequired
from vodstack.services.billing import ledger
from vodstack.services.billing.changes import SUBSCRIPTIONS, read_billed, read_changes
from vodstack.services.billing.clock import Clock
from vodstack.services.billing.models import InvoiceRow, SubscriptionRow
from vodstack.services.billing.payments import Collector, cancel
from vodstack.services.billing.proration import prorated_cents


@dataclass(frozen=True)
class _Standing:
    """What an entitlement is computed from; `status` None: the account has no subscription."""

    status: SubscriptionStatus | None
    past_due_since: datetime | None


class Subscriptions:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        collector: Collector,
        settings: BillingSettings,
        clock: Clock,
        data_version: Version | None = None,
    ) -> None:
        """`data_version` (SQLite's, core.db) lets entitlement checks skip the database while
        no one has written to it (core.data_memo); without it every check reads."""
        self._sessions = sessions
        self._collector = collector
        self._settings = settings
        self._clock = clock
        # Every playback start asks: the standing as last read, the clock applied per check.
        self._standings: DataMemo[int, _Standing] = DataMemo(data_version)
        # On the sessionmaker: every writer of subscriptions (dunning, payments) is in the feed.
        SUBSCRIPTIONS.record(sessions)

    def changes(self, after: int, limit: int) -> Changes:
        """The accounts whose subscription changed since `after` (billing/changes.py)."""
        with self._sessions() as db:
            return read_changes(db, after, limit)

    def billed(self, limit: int) -> BilledAccounts:
        """Every subscription's account, as of the change feed's cursor (billing/changes.py)."""
        with self._sessions() as db:
            return read_billed(db, limit)

    def overview(self, account_id: int) -> BillingOverview:
        with self._sessions() as db:
            return ledger.overview(db, account_id)

    def subscribe(self, body: Subscribe) -> BillingOverview:
        """Start (or restart, after a cancellation) a subscription; the first period is paid now."""
        invoice_id = self._open_subscription(body)
        if self._collector.collect(invoice_id, retries=False) is not AttemptOutcome.SUCCEEDED:
            with self._sessions.begin() as db:
                row = ledger.subscription_row(db, body.account_id)
                cancel(db, row, self._clock(), "the first payment failed")
            raise _declined(self.overview(body.account_id))
        return self.overview(body.account_id)

    def change_plan(self, account_id: int, plan: PlanCode) -> BillingOverview:
        """Switch plan now: an upgrade pays the difference for the rest of the period at once,
        a downgrade leaves a credit that the next renewal uses."""
        invoice_id = self._prorate(account_id, plan)
        if invoice_id is not None:
            outcome = self._collector.collect(invoice_id, retries=False)
            with self._sessions.begin() as db:
                invoice = db.get_one(InvoiceRow, invoice_id)
                if outcome is not AttemptOutcome.SUCCEEDED:
                    invoice.status = InvoiceStatus.VOID
                else:
                    ledger.subscription_row(db, account_id).plan = plan
            if outcome is not AttemptOutcome.SUCCEEDED:
                raise _declined(self.overview(account_id))
        return self.overview(account_id)

    def set_payment_method(self, account_id: int, token: str) -> BillingOverview:
        """A new card; unpaid invoices are retried with it at once (not at their next date)."""
        with self._sessions.begin() as db:
            row = ledger.subscription_row(db, account_id)
            _refuse_cancelled(row)
            row.payment_method = token
            unpaid = [invoice.id for invoice in ledger.open_invoices(db, account_id)]
        for invoice_id in unpaid:
            self._collector.collect(invoice_id, retries=True)
        return self.overview(account_id)

    def cancel(self, account_id: int) -> BillingOverview:
        with self._sessions.begin() as db:
            row = ledger.subscription_row(db, account_id)
            if row.status is not SubscriptionStatus.CANCELLED:
                cancel(db, row, self._clock(), "cancelled by the account holder")
        return self.overview(account_id)

    def entitlement(self, account_id: int) -> Entitlement:
        standing = self._standings.load(account_id, partial(self._standing, account_id))
        return self._entitlement(account_id, standing)

    def cached_entitlement(self, account_id: int) -> Entitlement | None:
        """The entitlement without touching the database, if no one wrote since the account's
        standing was read (never blocks: for the event loop); None = ask `entitlement`."""
        standing = self._standings.get(account_id)
        return None if standing is None else self._entitlement(account_id, standing)

    def _standing(self, account_id: int) -> _Standing:
        with self._sessions() as db:
            row = db.get(SubscriptionRow, account_id)
            if row is None:
                return _Standing(None, None)
            return _Standing(row.status, row.past_due_since)

    def _entitlement(self, account_id: int, standing: _Standing) -> Entitlement:
        if standing.status is None:
            # Accounts from before billing (and the demo's) are not billed: they play.
            return Entitlement(account_id=account_id, entitled=True, status=None)
        grace = timedelta(seconds=self._settings.grace_s)
        return _entitlement(account_id, standing, self._clock(), grace)

    # -- steps that write ---------------------------------------------------------------------

    def _open_subscription(self, body: Subscribe) -> int:
        now = self._clock()
        end = now + timedelta(days=self._settings.period_days)
        with self._sessions.begin() as db:
            row = db.get(SubscriptionRow, body.account_id)
            if row is not None and row.status is not SubscriptionStatus.CANCELLED:
                raise Conflict(
                    f"Account {body.account_id} already has a subscription ({row.status}).",
                    code="already_subscribed",
                )
            if row is None:
                row = SubscriptionRow(account_id=body.account_id)
                db.add(row)
            _start(row, body, now, end)
            db.flush()  # the subscription row first: the invoice refers to it
            invoice = _invoice(row, InvoiceKind.FIRST, plan_by_code(body.plan).price_cents, now)
            db.add(invoice)
            db.flush()
            return invoice.id

    def _prorate(self, account_id: int, plan: PlanCode) -> int | None:
        """The proration invoice to charge (an upgrade), or None (a downgrade: credit applied)."""
        now = self._clock()
        with self._sessions.begin() as db:
            row = ledger.subscription_row(db, account_id)
            _refuse_cancelled(row)
            if row.status is SubscriptionStatus.PAST_DUE:
                raise Conflict(
                    "Your last payment failed: update your payment method before changing plan.",
                    code="payment_past_due",
                )
            old, new = plan_by_code(row.plan).price_cents, plan_by_code(plan).price_cents
            amount = prorated_cents(old, new, (row.period_start, row.period_end), now)
            if amount <= 0:
                row.credit_cents += -amount
                row.plan = plan
                return None
            invoice = _invoice(row, InvoiceKind.PRORATION, amount, now, plan=plan, start=now)
            db.add(invoice)
            db.flush()
            return invoice.id


def _start(row: SubscriptionRow, body: Subscribe, now: datetime, end: datetime) -> None:
    row.plan = body.plan
    row.status = SubscriptionStatus.ACTIVE
    row.period_start, row.period_end = now, end
    row.credit_cents = 0
    row.payment_method = body.payment_method
    row.past_due_since = row.cancelled_at = row.cancel_reason = None


def _invoice(
    row: SubscriptionRow,
    kind: InvoiceKind,
    amount: int,
    now: datetime,
    *,
    plan: PlanCode | None = None,
    start: datetime | None = None,
) -> InvoiceRow:
    return InvoiceRow(
        account_id=row.account_id,
        kind=kind,
        plan=plan or row.plan,
        amount_cents=amount,
        status=InvoiceStatus.OPEN,
        created_at=now,
        period_start=start or row.period_start,
        period_end=row.period_end,
        attempts=0,
        next_attempt_at=None,  # charged by the caller, not by dunning
    )


def _refuse_cancelled(row: SubscriptionRow) -> None:
    if row.status is SubscriptionStatus.CANCELLED:
        raise Conflict(
            "This subscription is cancelled; start a new one first.", code="subscription_cancelled"
        )


def _declined(overview: BillingOverview) -> PaymentRequired:
    last = overview.attempts[0].message if overview.attempts else "the payment failed"
    return PaymentRequired(
        f"The payment was not accepted ({last}). Use another payment method and try again.",
        code="payment_declined",
    )


def _entitlement(account_id: int, row: _Standing, now: datetime, grace: timedelta) -> Entitlement:
    base = Entitlement(account_id=account_id, entitled=True, status=row.status)
    if row.status is SubscriptionStatus.CANCELLED:
        return base.model_copy(
            update={
                "entitled": False,
                "code": "subscription_cancelled",
                "message": "Your subscription is cancelled, so nothing can play. Restart it "
                "on the Account page to keep watching.",
            }
        )
    if row.status is SubscriptionStatus.PAST_DUE and row.past_due_since is not None:
        until = row.past_due_since + grace
        if now >= until:
            return base.model_copy(
                update={
                    "entitled": False,
                    "grace_until": until,
                    "code": "payment_past_due",
                    "message": "Your last payment failed and the grace period has ended. "
                    "Update your payment method on the Account page to keep watching.",
                }
            )
        return base.model_copy(update={"grace_until": until})
    return base
