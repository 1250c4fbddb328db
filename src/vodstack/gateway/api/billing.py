"""`/api/me/billing`, `/api/me/subscription`, `/api/me/payment-method`: the subscription.

Mutating calls take an optional `Idempotency-Key` header: send one and retry with it, and the
action (and its charge) happens once (docs/billing.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from vodstack.contracts.billing import (
    BillingOverview,
    IdempotencyKey,
    PaymentMethod,
    PaymentToken,
)
from vodstack.core.errors import NotFound
from vodstack.gateway import billing
from vodstack.gateway.api.docs import errors
from vodstack.gateway.deps import SessionDep, UpstreamsDep

router = APIRouter(prefix="/api/me", tags=["billing"])
KeyHeader = Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")]


class StartSubscription(PaymentMethod):
    payment_method: PaymentToken = "tok_visa"


@router.get("/billing", response_model=BillingOverview, responses=errors(401, 404))
async def overview(session: SessionDep, clients: UpstreamsDep) -> BillingOverview:
    """The subscription, the next invoice, and the invoice and payment history."""
    found = await clients.billing.overview(session.account.id)
    if found is None:
        raise NotFound("This account has no subscription yet.", code="no_subscription")
    return found


@router.post(
    "/subscription",
    status_code=201,
    response_model=BillingOverview,
    responses=errors(401, 402, 409),
)
async def start(
    body: StartSubscription, session: SessionDep, clients: UpstreamsDep, key: KeyHeader = None
) -> BillingOverview:
    """Start (or restart after a cancellation) the subscription on the account's plan."""
    return await billing.start(clients, session, body.payment_method, key or billing.new_key())


@router.post("/subscription/cancel", response_model=BillingOverview, responses=errors(401, 404))
async def cancel(
    session: SessionDep, clients: UpstreamsDep, key: KeyHeader = None
) -> BillingOverview:
    """Cancel now: nothing more is charged, and playback stops being allowed."""
    return await clients.billing.cancel(session.account.id, key or billing.new_key())


@router.put("/payment-method", response_model=BillingOverview, responses=errors(401, 404, 409))
async def payment_method(
    body: PaymentMethod, session: SessionDep, clients: UpstreamsDep, key: KeyHeader = None
) -> BillingOverview:
    """Change the card; an unpaid invoice is retried with it at once."""
    return await clients.billing.set_payment_method(
        session.account.id, body.payment_method, key or billing.new_key()
    )
