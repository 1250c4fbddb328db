"""The billing service's API (internal; the gateway is its only public face).

Every mutating call carries an `Idempotency-Key` header (1-200 printable characters): the same
key with the same body answers what the first call answered, without doing it again; the same
key with another body is refused 422 `idempotency_key_reused`; a call still running under the
key is answered 409 `idempotency_in_progress` (retry shortly).

    POST /v1/subscriptions                          Subscribe -> BillingOverview (201);
                                                    409 already_subscribed, 402 payment_declined
    GET  /v1/subscriptions/{account_id}             -> BillingOverview; 404 no_subscription
    PUT  /v1/subscriptions/{account_id}/plan        PlanSwitch -> BillingOverview (prorated
                                                    charge now, or a credit); 402 payment_declined
    PUT  /v1/subscriptions/{account_id}/payment-method  PaymentMethod -> BillingOverview (an
                                                    unpaid invoice is retried at once)
    POST /v1/subscriptions/{account_id}/cancel      -> BillingOverview (cancelled now)
    GET  /v1/entitlements/{account_id}              -> Entitlement (may this account play?)
    GET  /v1/entitlements/billed                    -> BilledAccounts (every account with a
                                                    subscription, as of the change feed's cursor)
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from vodstack.contracts.accounts import PlanCode

IDEMPOTENCY_HEADER = "Idempotency-Key"
IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[\x21-\x7e]{1,200}$")]
#: A payment method as the provider knows it (a card token; the simulated provider's test
#: tokens are in services/billing/provider.py).
PaymentToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-]{3,64}$")]


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAST_DUE = "past_due"  # an invoice is unpaid and being retried (dunning)
    CANCELLED = "cancelled"


class InvoiceKind(StrEnum):
    FIRST = "first"  # the first period, charged at sign-up
    RENEWAL = "renewal"
    PRORATION = "proration"  # the difference of a plan change for the rest of the period


class InvoiceStatus(StrEnum):
    OPEN = "open"  # not paid yet: charged at `next_attempt_at`
    PAID = "paid"
    UNCOLLECTIBLE = "uncollectible"  # every retry failed; the subscription was cancelled
    VOID = "void"  # no longer owed (the subscription was cancelled first)


class AttemptOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"  # the provider did not answer; the charge did not happen


class Subscribe(BaseModel):
    account_id: int = Field(ge=1)
    plan: PlanCode
    payment_method: PaymentToken = "tok_visa"


class PlanSwitch(BaseModel):
    plan: PlanCode


class PaymentMethod(BaseModel):
    payment_method: PaymentToken


class Subscription(BaseModel):
    account_id: int
    plan: PlanCode
    status: SubscriptionStatus
    period_start: datetime
    period_end: datetime
    #: Money owed back to the account (a downgrade's proration), taken off the next invoice.
    credit_cents: int
    payment_method: str
    #: When the first unpaid invoice failed: the grace period runs from here.
    past_due_since: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


class PaymentAttempt(BaseModel):
    id: int
    invoice_id: int
    attempted_at: datetime
    outcome: AttemptOutcome
    message: str


class Invoice(BaseModel):
    id: int
    account_id: int
    kind: InvoiceKind
    plan: PlanCode
    amount_cents: int
    status: InvoiceStatus
    created_at: datetime
    period_start: datetime
    period_end: datetime
    attempts: int
    next_attempt_at: datetime | None = None
    paid_at: datetime | None = None


class UpcomingInvoice(BaseModel):
    """What the next renewal will charge, and when."""

    amount_cents: int
    due_at: datetime
    plan: PlanCode


class BillingOverview(BaseModel):
    subscription: Subscription
    upcoming: UpcomingInvoice | None  # None once cancelled
    invoices: list[Invoice]  # newest first
    attempts: list[PaymentAttempt]  # newest first


class Entitlement(BaseModel):
    """Whether an account may start playback, and if not, why (a message for the viewer)."""

    account_id: int
    entitled: bool
    status: SubscriptionStatus | None  # None: the account has no subscription (not billed)
    code: str | None = None  # subscription_cancelled, payment_past_due
    message: str | None = None
    #: While past due: playback keeps working until then.
    grace_until: datetime | None = None


#: The most accounts one `BilledAccounts` lists; past it the answer is `complete=False`.
MAX_BILLED = 1_000_000


class BilledAccounts(BaseModel):
    """Every account with a subscription (of any status), as of `cursor` in the subscriptions'
    change feed (`GET /v1/entitlements/changes`): an account absent from `accounts` and not
    listed by the feed after `cursor` has no subscription, so it is not billed (internal:
    playback's replica, services/playback/entitlements.py)."""

    cursor: int = Field(ge=0)
    #: Account ids, ascending: the list runs to every subscriber.
    accounts: list[int]
    #: False: more than `limit` accounts are billed, and `accounts` is empty.
    complete: bool = True
