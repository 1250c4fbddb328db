"""`/api/me` and `/api/plans`: who is logged in, and what they subscribe to."""

from __future__ import annotations

from fastapi import APIRouter

from vodstack.contracts.accounts import Account, Plan, PlanChange
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


@router.put("/me/plan", response_model=Account, responses=errors(401, 403, 422))
async def change_plan(
    body: PlanChange, session: SessionDep, state: StateDep, clients: UpstreamsDep
) -> Account:
    """Switch the account to another plan."""
    account = await clients.accounts.change_plan(session.account.id, body.plan)
    await state.session_cache.invalidate_account(account.id)
    return account
