"""HTTP routes of the billing service (contract in contracts/billing.py).

Plain `def` endpoints: database and provider calls block, so FastAPI runs them in its thread
pool (the entitlement check answers from memory on the loop when it can). Every mutating
route goes through `Idempotency` with the caller's key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from vodstack.contracts.billing import (
    MAX_BILLED,
    BilledAccounts,
    BillingOverview,
    Entitlement,
    IdempotencyKey,
    PaymentMethod,
    PlanSwitch,
    Subscribe,
)
from vodstack.contracts.common import Changes
from vodstack.core.answer_cache import good_until
from vodstack.core.responses import model_json
from vodstack.services.billing.idempotency import Idempotency, replay_error
from vodstack.services.billing.subscriptions import Subscriptions


@dataclass(frozen=True)
class BillingApp:
    subscriptions: Subscriptions
    idempotency: Idempotency


async def _billing(request: Request) -> BillingApp:
    return cast(BillingApp, request.app.state.billing)


Billing = Annotated[BillingApp, Depends(_billing)]
MAX_CHANGES = 1000
Key = Annotated[IdempotencyKey, Header(alias="Idempotency-Key")]

subscriptions = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])
entitlements = APIRouter(prefix="/v1/entitlements", tags=["entitlements"])
ROUTERS = (subscriptions, entitlements)


def _once(
    billing: BillingApp,
    scope: str,
    key: str,
    body: BaseModel | None,
    call: Callable[[], BaseModel],
    status_code: int = 200,
) -> Response:
    answer = billing.idempotency.run(
        scope, key, body.model_dump(mode="json") if body else None, call, status_code
    )
    error = replay_error(answer)
    if error is not None:
        raise error
    return Response(answer.body, status_code=answer.status_code, media_type="application/json")


@subscriptions.post("", status_code=status.HTTP_201_CREATED, response_model=BillingOverview)
def subscribe(body: Subscribe, key: Key, billing: Billing) -> Response:
    call = partial(billing.subscriptions.subscribe, body)
    return _once(billing, f"subscribe:{body.account_id}", key, body, call, 201)


@subscriptions.get("/{account_id}")
def get_subscription(account_id: int, billing: Billing) -> BillingOverview:
    return billing.subscriptions.overview(account_id)


@subscriptions.put("/{account_id}/plan", response_model=BillingOverview)
def change_plan(account_id: int, body: PlanSwitch, key: Key, billing: Billing) -> Response:
    call = partial(billing.subscriptions.change_plan, account_id, body.plan)
    return _once(billing, f"plan:{account_id}", key, body, call)


@subscriptions.put("/{account_id}/payment-method", response_model=BillingOverview)
def set_payment_method(
    account_id: int, body: PaymentMethod, key: Key, billing: Billing
) -> Response:
    call = partial(billing.subscriptions.set_payment_method, account_id, body.payment_method)
    return _once(billing, f"payment-method:{account_id}", key, body, call)


@subscriptions.post("/{account_id}/cancel", response_model=BillingOverview)
def cancel(account_id: int, key: Key, billing: Billing) -> Response:
    call = partial(billing.subscriptions.cancel, account_id)
    return _once(billing, f"cancel:{account_id}", key, None, call)


@entitlements.get("/changes", response_model=Changes)
def subscription_changes(
    billing: Billing,
    after: Annotated[int, Query(ge=0, le=2**62, description="The cursor of the last answer.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_CHANGES)] = MAX_CHANGES,
) -> Response:
    """The accounts whose subscription changed since `after` (internal: playback's kept
    entitlements)."""
    return model_json(billing.subscriptions.changes(after, limit))


@entitlements.get("/billed", response_model=BilledAccounts)
def billed_accounts(
    billing: Billing, limit: Annotated[int, Query(ge=1, le=MAX_BILLED)] = MAX_BILLED
) -> Response:
    """Every account with a subscription, as of the change feed's cursor (internal: playback's
    replica, read at its start and after a gap in the feed)."""
    return model_json(billing.subscriptions.billed(limit))


@entitlements.get("/{account_id}", response_model=Entitlement)
async def entitlement(account_id: int, billing: Billing, request: Request) -> Response:
    # Every playback start asks: a remembered standing answers on the loop, without the
    # thread hop of a `def` route (core.data_memo).
    answer = billing.subscriptions.cached_entitlement(account_id)
    if answer is None:
        answer = await run_in_threadpool(billing.subscriptions.entitlement, account_id)
    if answer.entitled and answer.grace_until is not None:
        # The grace period ends by the clock alone: replayed until then (app.py).
        good_until(request.scope, answer.grace_until.timestamp())
    return model_json(answer)
