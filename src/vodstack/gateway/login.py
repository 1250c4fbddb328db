"""Signing up, logging in and out: shared by the JSON API and the web forms."""

from __future__ import annotations

import logging

from vodstack.contracts.accounts import Credentials, SessionInfo, SignUp
from vodstack.contracts.playback import login_ref
from vodstack.core.errors import ServiceUnavailable, UpstreamError
from vodstack.gateway.billing import subscribe_new_account
from vodstack.gateway.state import GatewayState
from vodstack.gateway.upstreams import Upstreams

log = logging.getLogger(__name__)


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
    account = await clients.accounts.sign_up(body)
    await subscribe_new_account(clients, account)
    info = await clients.accounts.log_in(Credentials(email=body.email, password=body.password))
    await state.session_cache.put(info)
    return info


async def log_out(state: GatewayState, clients: Upstreams, session_id: str | None) -> None:
    """End the log-in and every stream it started (their segment URLs die with them)."""
    if session_id is None:
        return
    await state.session_cache.invalidate(session_id)
    await clients.accounts.log_out(session_id)
    try:
        await clients.playback.stop_login(login_ref(session_id))
    except (ServiceUnavailable, UpstreamError) as exc:
        # The log-out itself succeeded; its streams still end by timeout (no more heartbeats
        # can be sent without the session).
        log.warning("log-out could not stop its streams: %s", exc.message)
