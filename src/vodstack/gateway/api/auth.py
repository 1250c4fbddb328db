"""`/api/auth`: sign up, log in, log out. Success sets or clears the session cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from vodstack.contracts.accounts import Credentials, SignUp
from vodstack.gateway import login
from vodstack.gateway.api.docs import errors
from vodstack.gateway.deps import StateDep, UpstreamsDep, client_key
from vodstack.gateway.sessions import clear_session_cookie, session_id_of, set_session_cookie
from vodstack.gateway.views import SessionView

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/signup", status_code=201, response_model=SessionView, responses=errors(403, 409, 422, 429)
)
async def sign_up(
    body: SignUp, request: Request, response: Response, state: StateDep, clients: UpstreamsDep
) -> SessionView:
    """Create an account and log it in."""
    info = await login.sign_up(state, clients, body, client_key(request))
    set_session_cookie(response, info, state.settings)
    return SessionView.of(info)


@router.post("/login", response_model=SessionView, responses=errors(401, 403, 422, 429))
async def log_in(
    body: Credentials,
    request: Request,
    response: Response,
    state: StateDep,
    clients: UpstreamsDep,
) -> SessionView:
    """Log in with email and password."""
    info = await login.log_in(state, clients, body, client_key(request))
    set_session_cookie(response, info, state.settings)
    return SessionView.of(info)


@router.post("/logout", status_code=204, response_class=Response, responses=errors(403))
async def log_out(request: Request, state: StateDep, clients: UpstreamsDep) -> Response:
    """End the session (harmless when already logged out)."""
    await login.log_out(state, clients, session_id_of(request))
    response = Response(status_code=204)
    clear_session_cookie(response, state.settings)
    return response
