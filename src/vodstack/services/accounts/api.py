"""HTTP routes of the accounts service: thin adapters from the contract to `AccountsService`.

Endpoints are plain `def`: argon2 and database calls block, so FastAPI runs them in its
threadpool instead of on the event loop. The session check is the exception: every page view
makes one, and a remembered session (core.data_memo) answers on the loop without the hop.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from vodstack.contracts.accounts import (
    Account,
    AdminAccountCreate,
    Credentials,
    ListEntry,
    Plan,
    PlanChange,
    Profile,
    ProfileCreate,
    ProfileSelect,
    ProfileUpdate,
    SessionInfo,
    SignUp,
)
from vodstack.core.answer_cache import good_until
from vodstack.core.responses import model_json
from vodstack.services.accounts.service import AccountsService


# async on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread hop
# per request for an attribute lookup.
async def _service(request: Request) -> AccountsService:
    return cast(AccountsService, request.app.state.accounts)


Service = Annotated[AccountsService, Depends(_service)]
TitleId = Annotated[int, Path(ge=1, le=2_147_483_647)]

accounts = APIRouter(prefix="/v1/accounts", tags=["accounts"])
sessions = APIRouter(prefix="/v1/sessions", tags=["sessions"])
plans = APIRouter(prefix="/v1/plans", tags=["plans"])
admin = APIRouter(prefix="/v1/admin", tags=["admin"])

ROUTERS = (accounts, sessions, plans, admin)


@accounts.post("", status_code=status.HTTP_201_CREATED)
def sign_up(body: SignUp, service: Service) -> Account:
    return service.accounts.sign_up(body)


@accounts.get("/{account_id}")
def get_account(account_id: int, service: Service) -> Account:
    return service.accounts.get(account_id)


@accounts.put("/{account_id}/plan")
def change_plan(account_id: int, body: PlanChange, service: Service) -> Account:
    return service.accounts.change_plan(account_id, body.plan)


@accounts.get("/{account_id}/profiles", response_model=list[Profile])
def list_profiles(account_id: int, service: Service) -> Response:
    return model_json(service.profiles.of_account(account_id))


@accounts.post("/{account_id}/profiles", status_code=status.HTTP_201_CREATED)
def create_profile(account_id: int, body: ProfileCreate, service: Service) -> Profile:
    return service.profiles.create(account_id, body)


@accounts.get("/{account_id}/profiles/{profile_id}")
def get_profile(account_id: int, profile_id: int, service: Service) -> Profile:
    return service.profiles.get(account_id, profile_id)


@accounts.patch("/{account_id}/profiles/{profile_id}")
def update_profile(
    account_id: int, profile_id: int, body: ProfileUpdate, service: Service
) -> Profile:
    return service.profiles.update(account_id, profile_id, body)


@accounts.delete("/{account_id}/profiles/{profile_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_profile(account_id: int, profile_id: int, service: Service) -> None:
    service.profiles.delete(account_id, profile_id)


@accounts.get("/{account_id}/profiles/{profile_id}/list")
def my_list(account_id: int, profile_id: int, service: Service) -> list[ListEntry]:
    return service.my_list.entries(account_id, profile_id)


@accounts.put("/{account_id}/profiles/{profile_id}/list/{title_id}")
def add_to_list(account_id: int, profile_id: int, title_id: TitleId, service: Service) -> ListEntry:
    return service.my_list.add(account_id, profile_id, title_id)


@accounts.delete(
    "/{account_id}/profiles/{profile_id}/list/{title_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
def remove_from_list(account_id: int, profile_id: int, title_id: TitleId, service: Service) -> None:
    service.my_list.remove(account_id, profile_id, title_id)


@sessions.post("", status_code=status.HTTP_201_CREATED)
def log_in(body: Credentials, service: Service) -> SessionInfo:
    return service.sessions.log_in(body)


@sessions.get("/{session_id}", response_model=SessionInfo)
async def get_session(session_id: str, service: Service, request: Request) -> Response:
    info = service.sessions.cached(session_id)
    if info is None:
        info = await run_in_threadpool(service.sessions.get, session_id)
    good_until(request.scope, info.expires_at.timestamp())  # replayed until then (app.py)
    return model_json(info)


@sessions.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
def log_out(session_id: str, service: Service) -> None:
    service.sessions.log_out(session_id)


@sessions.put("/{session_id}/profile")
def select_profile(session_id: str, body: ProfileSelect, service: Service) -> SessionInfo:
    return service.sessions.select_profile(session_id, body)


@sessions.delete("/{session_id}/profile")
def clear_profile(session_id: str, service: Service) -> SessionInfo:
    return service.sessions.clear_profile(session_id)


@plans.get("")
def list_plans(service: Service) -> list[Plan]:
    return service.accounts.plans()


@admin.post("/accounts", status_code=status.HTTP_201_CREATED)
def create_account(body: AdminAccountCreate, service: Service) -> Account:
    return service.accounts.sign_up(body, role=body.role)
