"""`/api/profiles`: the household's profiles and choosing who is watching."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response

from vodstack.contracts.accounts import Profile, ProfileCreate, ProfileSelect, ProfileUpdate
from vodstack.gateway.api.docs import Id, errors
from vodstack.gateway.deps import SessionDep, StateDep, UpstreamsDep
from vodstack.gateway.views import ProfileChoice, SessionView

router = APIRouter(prefix="/api/profiles", tags=["profiles"])


@router.get("", response_model=list[Profile], responses=errors(401))
async def list_profiles(session: SessionDep, clients: UpstreamsDep) -> list[Profile]:
    """The account's profiles."""
    return await clients.accounts.profiles(session.account.id)


@router.post("", status_code=201, response_model=Profile, responses=errors(401, 403, 409, 422))
async def create_profile(
    body: ProfileCreate, session: SessionDep, clients: UpstreamsDep
) -> Profile:
    """Add a profile (at most five per account)."""
    return await clients.accounts.create_profile(session.account.id, body)


@router.patch("/{profile_id}", response_model=Profile, responses=errors(401, 403, 404, 422))
async def update_profile(
    profile_id: Id,
    body: ProfileUpdate,
    session: SessionDep,
    state: StateDep,
    clients: UpstreamsDep,
) -> Profile:
    """Rename a profile, change its colour, maturity level or PIN."""
    profile = await clients.accounts.update_profile(session.account.id, profile_id, body)
    # A cached session may carry this profile's old maturity level.
    await state.session_cache.invalidate_account(session.account.id)
    return profile


@router.delete(
    "/{profile_id}", status_code=204, response_class=Response, responses=errors(401, 403, 404)
)
async def delete_profile(
    profile_id: Id, session: SessionDep, state: StateDep, clients: UpstreamsDep
) -> Response:
    """Delete a profile."""
    await clients.accounts.delete_profile(session.account.id, profile_id)
    await state.session_cache.invalidate_account(session.account.id)
    return Response(status_code=204)


@router.post(
    "/{profile_id}/select", response_model=SessionView, responses=errors(401, 403, 404, 422, 429)
)
async def select_profile(
    profile_id: Id,
    session: SessionDep,
    state: StateDep,
    clients: UpstreamsDep,
    body: Annotated[ProfileChoice | None, Body()] = None,
) -> SessionView:
    """Choose who is watching; a profile with a PIN needs it (403 `wrong_pin`; 429 `locked_out`
    after repeated wrong PINs, even for the right one, until Retry-After has passed)."""
    pin = body.pin if body is not None else None
    choice = ProfileSelect(profile_id=profile_id, pin=pin)
    info = await clients.accounts.select_profile(session.session_id, choice)
    await state.session_cache.put(info)
    return SessionView.of(info)
