"""FastAPI dependencies shared by the JSON API and the web pages.

All are `async def`, even those that never await: FastAPI runs a plain `def` dependency in its
threadpool, a thread hand-off per request on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from vodstack.contracts.accounts import Profile, Role, SessionInfo
from vodstack.contracts.common import Maturity
from vodstack.core.errors import Conflict, Forbidden, Unauthorized
from vodstack.gateway.sessions import resolve_session, session_id_of
from vodstack.gateway.state import GatewayState
from vodstack.gateway.upstreams import Upstreams


async def gateway_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


async def upstreams(request: Request) -> Upstreams:
    clients: Upstreams = request.app.state.upstreams
    return clients


StateDep = Annotated[GatewayState, Depends(gateway_state)]
UpstreamsDep = Annotated[Upstreams, Depends(upstreams)]


def client_key(request: Request) -> str:
    """Whom a rate limit counts: the peer, or the client a trusted proxy forwarded for."""
    state: GatewayState = request.app.state.gateway
    peer = request.client.host if request.client else None
    return state.addresses.resolve(peer, request.headers.get("x-forwarded-for"))


#: Where a request's resolved session is kept (its ASGI scope), for whichever dependency asks.
_SESSION_KEY = "vodstack.session"


async def optional_session(request: Request) -> SessionInfo | None:
    """The caller's session, or None when not logged in (or the session expired).

    Resolved once per request and kept in its scope: the dependencies below call this one
    directly instead of depending on each other, because every level of nested dependencies
    cost FastAPI a full resolution pass (its parameters of every kind), a tenth of the CPU of
    the gateway's hottest route."""
    scope = request.scope
    if _SESSION_KEY in scope:
        kept: SessionInfo | None = scope[_SESSION_KEY]
        return kept
    session_id = session_id_of(request)
    info = None
    if session_id is not None:
        state: GatewayState = request.app.state.gateway
        clients: Upstreams = request.app.state.upstreams
        info = await resolve_session(session_id, state.session_cache, clients.accounts)
    scope[_SESSION_KEY] = info
    return info


OptionalSessionDep = Annotated[SessionInfo | None, Depends(optional_session)]


async def require_session(request: Request) -> SessionInfo:
    session = await optional_session(request)
    if session is None:
        raise Unauthorized(
            "You are not logged in (or your session expired); please log in.",
            code="login_required",
        )
    return session


SessionDep = Annotated[SessionInfo, Depends(require_session)]


@dataclass(frozen=True)
class Viewer:
    """A logged-in session with a profile chosen: who is watching, at which maturity level."""

    session: SessionInfo
    profile: Profile

    @property
    def maturity(self) -> Maturity:
        return self.profile.maturity

    @property
    def sees_unpublished(self) -> bool:
        """Admins browse titles not yet published (with their state); viewers never do."""
        return self.session.account.role is Role.ADMIN


async def require_viewer(request: Request) -> Viewer:
    session = await require_session(request)
    if session.profile is None:
        raise Conflict(
            "Choose who is watching first: select one of your profiles.",
            code="profile_required",
        )
    return Viewer(session=session, profile=session.profile)


ViewerDep = Annotated[Viewer, Depends(require_viewer)]


async def require_admin(request: Request) -> SessionInfo:
    session = await require_session(request)
    if session.account.role is not Role.ADMIN:
        raise Forbidden("Only administrators may manage the catalog.", code="admin_required")
    return session


AdminDep = Annotated[SessionInfo, Depends(require_admin)]
