"""Sign-up, log-in and log-out pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from vodstack.contracts.accounts import Credentials, PlanCode, SignUp
from vodstack.core.errors import TooManyRequests, UpstreamError, VodstackError
from vodstack.gateway import login
from vodstack.gateway.deps import OptionalSessionDep, StateDep, UpstreamsDep, client_key
from vodstack.gateway.sessions import clear_session_cookie, session_id_of, set_session_cookie
from vodstack.gateway.web.forms import parse_form
from vodstack.gateway.web.guards import safe_next
from vodstack.gateway.web.templating import PagesDep

router = APIRouter()

FormText = Annotated[str, Form(max_length=1000)]


def _error_headers(exc: VodstackError) -> dict[str, str]:
    if isinstance(exc, TooManyRequests | UpstreamError) and exc.retry_after:
        return {"Retry-After": str(exc.retry_after)}
    return {}


@router.get("/login")
async def login_page(
    request: Request, session: OptionalSessionDep, pages: PagesDep, next: str = "/"
) -> Response:
    if session is not None:
        return RedirectResponse("/profiles", status_code=303)
    return pages.render(request, "login.html", next=safe_next(next), email="")


@router.post("/login")
async def login_submit(
    request: Request,
    pages: PagesDep,
    state: StateDep,
    clients: UpstreamsDep,
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    try:
        credentials = parse_form(Credentials, email=email, password=password)
        info = await login.log_in(state, clients, credentials, client_key(request))
    except VodstackError as exc:
        return pages.render(
            request,
            "login.html",
            status=exc.status_code,
            headers=_error_headers(exc),
            error=exc.message,
            email=email,
            next=safe_next(next),
        )
    target = safe_next(next)
    response = RedirectResponse("/profiles" if target == "/" else target, status_code=303)
    set_session_cookie(response, info, state.settings)
    return response


@router.get("/signup")
async def signup_page(
    request: Request, session: OptionalSessionDep, pages: PagesDep, clients: UpstreamsDep
) -> Response:
    if session is not None:
        return RedirectResponse("/profiles", status_code=303)
    plans = await clients.accounts.plans()
    return pages.render(request, "signup.html", plans=plans, email="", plan=PlanCode.STANDARD)


@router.post("/signup")
async def signup_submit(
    request: Request,
    pages: PagesDep,
    state: StateDep,
    clients: UpstreamsDep,
    email: FormText = "",
    password: FormText = "",
    plan: FormText = PlanCode.STANDARD.value,
) -> Response:
    try:
        body = parse_form(SignUp, email=email, password=password, plan=plan)
        info = await login.sign_up(state, clients, body, client_key(request))
    except VodstackError as exc:
        plans = await clients.accounts.plans()
        return pages.render(
            request,
            "signup.html",
            status=exc.status_code,
            headers=_error_headers(exc),
            error=exc.message,
            plans=plans,
            email=email,
            plan=plan,
        )
    response = RedirectResponse("/profiles", status_code=303)
    set_session_cookie(response, info, state.settings)
    return response


@router.post("/logout")
async def logout_submit(request: Request, state: StateDep, clients: UpstreamsDep) -> Response:
    await login.log_out(state, clients, session_id_of(request))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, state.settings)
    return response
