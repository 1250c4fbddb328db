"""The billing schedule: renew subscriptions whose period ended, retry invoices that are due.

`step()` is what the service's `Periodic` runs every `dunning_interval_s`; it is also called
directly by tests with a fake clock, so dunning is checked without waiting days.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import BillingSettings
from vodstack.contracts.billing import InvoiceKind, InvoiceStatus, SubscriptionStatus
from vodstack.contracts.plans import plan_by_code
from vodstack.services.billing import ledger
from vodstack.services.billing.clock import Clock
from vodstack.services.billing.models import InvoiceRow, SubscriptionRow
from vodstack.services.billing.payments import Collector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepReport:
    renewed: int
    attempted: int


class Dunning:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        collector: Collector,
        settings: BillingSettings,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._collector = collector
        self._period = timedelta(days=settings.period_days)
        self._clock = clock

    def step(self) -> StepReport:
        now = self._clock()
        with self._sessions() as db:
            renewals = ledger.due_renewals(db, now)
        for account_id in renewals:
            self._renew(account_id)
        with self._sessions() as db:
            due = ledger.due_invoices(db, now)
        for invoice_id in due:
            self._collector.collect(invoice_id, retries=True)
        if renewals or due:
            log.info("billing: %d renewals, %d payment attempts", len(renewals), len(due))
        return StepReport(renewed=len(renewals), attempted=len(due))

    def _renew(self, account_id: int) -> None:
        """Open the next period's invoice, due now; the period moves on whether or not it is
        paid (an unpaid one is dunned, and the grace period decides what plays)."""
        now = self._clock()
        with self._sessions.begin() as db:
            row = db.get_one(SubscriptionRow, account_id)
            if row.status is not SubscriptionStatus.ACTIVE or row.period_end > now:
                return  # renewed or cancelled meanwhile
            amount = ledger.renewal_cents(row)
            row.credit_cents -= plan_by_code(row.plan).price_cents - amount
            row.period_start, row.period_end = row.period_end, row.period_end + self._period
            invoice = InvoiceRow(
                account_id=account_id,
                kind=InvoiceKind.RENEWAL,
                plan=row.plan,
                amount_cents=amount,
                status=InvoiceStatus.OPEN if amount > 0 else InvoiceStatus.PAID,
                created_at=now,
                period_start=row.period_start,
                period_end=row.period_end,
                attempts=0,
                next_attempt_at=now if amount > 0 else None,
                paid_at=None if amount > 0 else now,
            )
            db.add(invoice)
