"""Cookie sessions: the `vodstack_session` cookie carries the accounts service's session id.

The gateway keeps no session state of its own; it resolves the id through a look-aside cache
in front of the accounts service.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from vodstack.clients.accounts import AccountsClient
from vodstack.config.settings import Settings
from vodstack.contracts.accounts import SessionInfo
from vodstack.core.errors import UpstreamError
from vodstack.gateway.session_cache import SessionCache

SESSION_COOKIE = "vodstack_session"
# The id goes into an upstream URL path, so only an opaque token shape is ever forwarded.
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{16,128}")


def session_id_of(request: Request) -> str | None:
    """The session id from the cookie, or None when absent or not shaped like one."""
    value = request.cookies.get(SESSION_COOKIE)
    if value is None or _SESSION_ID.fullmatch(value) is None:
        return None
    return value


async def resolve_session(
    session_id: str, cache: SessionCache, accounts: AccountsClient
) -> SessionInfo | None:
    """The live session for an id (cached when possible), or None when unknown or expired."""
    info = await cache.get(session_id)
    if info is not None:
        return info
    try:
        info = await accounts.session(session_id)
    except UpstreamError as exc:
        if exc.status_code == 404:
            return None
        raise
    await cache.put(info)
    return info


def set_session_cookie(response: Response, info: SessionInfo, settings: Settings) -> None:
    max_age = int((info.expires_at - datetime.now(UTC)).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        info.session_id,
        max_age=max(0, max_age),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )
