"""The account page: email, plan, and changing the plan."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from vodstack.contracts.accounts import PlanChange, SessionInfo
from vodstack.core.errors import VodstackError
from vodstack.gateway.deps import StateDep, UpstreamsDep
from vodstack.gateway.web.forms import parse_form
from vodstack.gateway.web.guards import PageSessionDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter()


async def _render(
    request: Request,
    pages: PagesDep,
    clients: UpstreamsDep,
    session: SessionInfo,
    *,
    status: int = 200,
    error: str | None = None,
    changed: bool = False,
) -> Response:
    plans = await clients.accounts.plans()
    return pages.render(
        request,
        "account.html",
        session=session,
        status=status,
        plans=plans,
        error=error,
        changed=changed,
    )


@router.get("/account")
async def account_page(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    changed: bool = False,
) -> Response:
    return await _render(request, pages, clients, session, changed=changed)


@router.post("/account/plan")
async def change_plan(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    state: StateDep,
    clients: UpstreamsDep,
    plan: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        body = parse_form(PlanChange, plan=plan)
        await clients.accounts.change_plan(session.account.id, body.plan)
    except VodstackError as exc:
        return await _render(
            request, pages, clients, session, status=exc.status_code, error=exc.message
        )
    await state.session_cache.invalidate_account(session.account.id)
    return RedirectResponse("/account?changed=true", status_code=303)
