"""The account page: email, plan and changing it, the subscription, next invoice and history.

Each form carries an idempotency key minted when the page was rendered: submitting the same
form twice (a double click, a resubmitted POST) acts, and charges, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from vodstack.contracts.accounts import PlanChange, SessionInfo
from vodstack.contracts.billing import BillingOverview, PaymentMethod
from vodstack.core.errors import ServiceUnavailable, VodstackError
from vodstack.gateway import billing
from vodstack.gateway.deps import StateDep, UpstreamsDep
from vodstack.gateway.upstreams import Upstreams
from vodstack.gateway.web.forms import parse_form
from vodstack.gateway.web.guards import PageSessionDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter()
FormKey = Annotated[str, Form(max_length=200)]


async def _billing(clients: Upstreams, account_id: int) -> tuple[BillingOverview | None, bool]:
    """The subscription (None: none yet) and whether billing answered at all."""
    try:
        return await clients.billing.overview(account_id), True
    except ServiceUnavailable:
        return None, False


async def _render(
    request: Request,
    pages: PagesDep,
    clients: UpstreamsDep,
    session: SessionInfo,
    *,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    plans = await clients.accounts.plans()
    overview, billing_up = await _billing(clients, session.account.id)
    return pages.render(
        request,
        "account.html",
        session=session,
        status=status,
        plans=plans,
        error=error,
        notice=notice,
        billing=overview,
        billing_up=billing_up,
        form_key=billing.new_key(),
    )


NOTICES = {
    "plan": "Your plan was changed.",
    "cancelled": "Your subscription was cancelled.",
    "started": "Your subscription has started.",
    "card": "Your payment method was updated.",
}


@router.get("/account")
async def account_page(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    changed: bool = False,
    done: str = "",
) -> Response:
    notice = NOTICES.get("plan" if changed else done)
    return await _render(request, pages, clients, session, notice=notice)


@router.post("/account/plan")
async def change_plan(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    state: StateDep,
    clients: UpstreamsDep,
    plan: Annotated[str, Form(max_length=40)] = "",
    idempotency_key: FormKey = "",
) -> Response:
    try:
        body = parse_form(PlanChange, plan=plan)
        key = idempotency_key or billing.new_key()
        await billing.change_plan(state, clients, session, body.plan, key)
    except VodstackError as exc:
        return await _render(
            request, pages, clients, session, status=exc.status_code, error=exc.message
        )
    return RedirectResponse("/account?changed=true", status_code=303)


@router.post("/account/subscription")
async def start_subscription(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    payment_method: Annotated[str, Form(max_length=64)] = "tok_visa",
    idempotency_key: FormKey = "",
) -> Response:
    async def act() -> None:
        card = parse_form(PaymentMethod, payment_method=payment_method).payment_method
        await billing.start(clients, session, card, idempotency_key or billing.new_key())

    return await _act(request, pages, clients, session, act, "started")


@router.post("/account/subscription/cancel")
async def cancel_subscription(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    idempotency_key: FormKey = "",
) -> Response:
    async def act() -> None:
        await clients.billing.cancel(session.account.id, idempotency_key or billing.new_key())

    return await _act(request, pages, clients, session, act, "cancelled")


@router.post("/account/payment-method")
async def payment_method(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    payment_method: Annotated[str, Form(max_length=64)] = "",
    idempotency_key: FormKey = "",
) -> Response:
    async def act() -> None:
        card = parse_form(PaymentMethod, payment_method=payment_method).payment_method
        key = idempotency_key or billing.new_key()
        await clients.billing.set_payment_method(session.account.id, card, key)

    return await _act(request, pages, clients, session, act, "card")


async def _act(
    request: Request,
    pages: PagesDep,
    clients: Upstreams,
    session: SessionInfo,
    act: Callable[[], Awaitable[None]],
    done: str,
) -> Response:
    try:
        await act()
    except VodstackError as exc:
        return await _render(
            request, pages, clients, session, status=exc.status_code, error=exc.message
        )
    return RedirectResponse(f"/account?done={done}", status_code=303)
