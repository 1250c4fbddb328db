"""`/api/me` and `/api/plans`: who is logged in, and what they subscribe to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from vodstack.contracts.accounts import Account, Plan, PlanChange
from vodstack.contracts.billing import IdempotencyKey
from vodstack.gateway import billing
from vodstack.gateway.api.docs import errors
from vodstack.gateway.deps import SessionDep, StateDep, UpstreamsDep
from vodstack.gateway.views import SessionView

router = APIRouter(prefix="/api", tags=["account"])


@router.get("/me", response_model=SessionView, responses=errors(401))
async def me(session: SessionDep) -> SessionView:
    """The logged-in account, its plan and the current profile (null until one is chosen)."""
    return SessionView.of(session)


@router.get("/plans", response_model=list[Plan], responses=errors())
async def plans(clients: UpstreamsDep) -> list[Plan]:
    """The plans on offer (public, for the sign-up page)."""
    return await clients.accounts.plans()


@router.put("/me/plan", response_model=Account, responses=errors(401, 402, 403, 409, 422))
async def change_plan(
    body: PlanChange,
    session: SessionDep,
    state: StateDep,
    clients: UpstreamsDep,
    key: Annotated[IdempotencyKey | None, Header(alias="Idempotency-Key")] = None,
) -> Account:
    """Switch the account to another plan; an upgrade is charged for the rest of the period
    at once (402 when declined), a downgrade credits the next invoice."""
    return await billing.change_plan(state, clients, session, body.plan, key or billing.new_key())
