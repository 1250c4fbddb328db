""" "Who's watching?": picking, adding and deleting profiles, and the PIN prompt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from vodstack.contracts.accounts import MAX_PROFILES, ProfileCreate, ProfileSelect, SessionInfo
from vodstack.contracts.common import Maturity
from vodstack.core.errors import VodstackError
from vodstack.gateway.deps import StateDep, UpstreamsDep
from vodstack.gateway.web.forms import parse_form
from vodstack.gateway.web.guards import PageSessionDep
from vodstack.gateway.web.templating import PagesDep

router = APIRouter()

FormText = Annotated[str, Form(max_length=1000)]
ProfileId = Annotated[int, Path(ge=1, le=2_147_483_647)]
AVATAR_COLORS = ("#e50914", "#f5a623", "#2ecc71", "#3498db", "#9b59b6", "#1abc9c", "#e84393")


def _next_color(taken: int) -> str:
    return AVATAR_COLORS[taken % len(AVATAR_COLORS)]


async def _render_picker(
    request: Request,
    pages: PagesDep,
    clients: UpstreamsDep,
    session: SessionInfo,
    *,
    manage: bool = False,
    status: int = 200,
    error: str | None = None,
    draft: dict[str, str] | None = None,
) -> Response:
    profiles = await clients.accounts.profiles(session.account.id)
    return pages.render(
        request,
        "profiles.html",
        session=session,
        status=status,
        profiles=profiles,
        can_add=len(profiles) < MAX_PROFILES,
        manage=manage,
        error=error,
        draft=draft or {"name": "", "avatar_color": _next_color(len(profiles))},
        colors=AVATAR_COLORS,
        maturities=list(Maturity),
    )


@router.get("/profiles")
async def picker(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    manage: bool = False,
) -> Response:
    return await _render_picker(request, pages, clients, session, manage=manage)


@router.post("/profiles")
async def add_profile(
    request: Request,
    session: PageSessionDep,
    pages: PagesDep,
    clients: UpstreamsDep,
    name: FormText = "",
    avatar_color: FormText = "#e50914",
    maturity: FormText = Maturity.ADULT.value,
    pin: FormText = "",
) -> Response:
    try:
        body = parse_form(
            ProfileCreate, name=name, avatar_color=avatar_color, maturity=maturity, pin=pin or None
        )
        await clients.accounts.create_profile(session.account.id, body)
    except VodstackError as exc:
        draft = {"name": name, "avatar_color": avatar_color, "maturity": maturity}
        return await _render_picker(
            request, pages, clients, session, status=exc.status_code, error=exc.message, draft=draft
        )
    return RedirectResponse("/profiles", status_code=303)


@router.get("/profiles/{profile_id}/pin")
async def pin_prompt(
    request: Request,
    profile_id: ProfileId,
    session: PageSessionDep,
    pages: PagesDep,
    clients: UpstreamsDep,
) -> Response:
    profile = await clients.accounts.profile(session.account.id, profile_id)
    return pages.render(request, "pin.html", session=session, target=profile)


@router.post("/profiles/{profile_id}/select")
async def select(
    request: Request,
    profile_id: ProfileId,
    session: PageSessionDep,
    pages: PagesDep,
    state: StateDep,
    clients: UpstreamsDep,
    pin: FormText = "",
) -> Response:
    try:
        choice = parse_form(ProfileSelect, profile_id=profile_id, pin=pin or None)
        info = await clients.accounts.select_profile(session.session_id, choice)
    except VodstackError as exc:
        if exc.status_code == 404:
            raise
        profile = await clients.accounts.profile(session.account.id, profile_id)
        return pages.render(
            request,
            "pin.html",
            session=session,
            status=exc.status_code,
            target=profile,
            error=exc.message,
        )
    await state.session_cache.put(info)
    return RedirectResponse("/", status_code=303)


@router.post("/profiles/{profile_id}/delete")
async def delete(
    profile_id: ProfileId, session: PageSessionDep, state: StateDep, clients: UpstreamsDep
) -> Response:
    await clients.accounts.delete_profile(session.account.id, profile_id)
    await state.session_cache.invalidate_account(session.account.id)
    return RedirectResponse("/profiles?manage=true", status_code=303)
