"""Who may see a page: not logged in goes to /login, no profile chosen goes to /profiles."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from vodstack.contracts.accounts import Role, SessionInfo
from vodstack.core.errors import Forbidden
from vodstack.gateway.deps import OptionalSessionDep, Viewer


class Redirect(Exception):
    """Leave the page for `location` (answered with 303 See Other)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def safe_next(target: str | None) -> str:
    """A local path to return to after logging in; anything else (other sites) becomes `/`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if here == "/":
        return "/login"
    return f"/login?next={quote(here, safe='/')}"


async def page_session(request: Request, session: OptionalSessionDep) -> SessionInfo:
    if session is None:
        raise Redirect(_login_url(request))
    return session


PageSessionDep = Annotated[SessionInfo, Depends(page_session)]


async def page_viewer(session: PageSessionDep) -> Viewer:
    if session.profile is None:
        raise Redirect("/profiles")
    return Viewer(session=session, profile=session.profile)


PageViewerDep = Annotated[Viewer, Depends(page_viewer)]


async def page_admin(session: PageSessionDep) -> SessionInfo:
    if session.account.role is not Role.ADMIN:
        raise Forbidden("This page is for administrators only.", code="admin_required")
    return session


PageAdminDep = Annotated[SessionInfo, Depends(page_admin)]
