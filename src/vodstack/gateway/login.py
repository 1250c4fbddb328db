"""Signing up, logging in and out: shared by the JSON API and the web forms."""

from __future__ import annotations

from vodstack.contracts.accounts import Credentials, SessionInfo, SignUp
from vodstack.gateway.state import GatewayState
from vodstack.gateway.upstreams import Upstreams


async def log_in(
    state: GatewayState, clients: Upstreams, credentials: Credentials, client: str
) -> SessionInfo:
    await state.login_limiter.check(client, "login")
    info = await clients.accounts.log_in(credentials)
    await state.session_cache.put(info)
    return info


async def sign_up(
    state: GatewayState, clients: Upstreams, body: SignUp, client: str
) -> SessionInfo:
    await state.signup_limiter.check(client, "sign-up")
    await clients.accounts.sign_up(body)
    info = await clients.accounts.log_in(Credentials(email=body.email, password=body.password))
    await state.session_cache.put(info)
    return info


async def log_out(state: GatewayState, clients: Upstreams, session_id: str | None) -> None:
    if session_id is None:
        return
    await state.session_cache.invalidate(session_id)
    await clients.accounts.log_out(session_id)
