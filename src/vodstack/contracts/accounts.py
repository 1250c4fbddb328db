"""The accounts service's API (internal; the gateway is its only public face).

Endpoints (all JSON, errors in the platform's error body):

    POST   /v1/accounts                         SignUp -> Account (201); 409 email_taken
    POST   /v1/sessions                         Credentials -> SessionInfo (201);
                                                401 bad_credentials
    GET    /v1/sessions/{session_id}            -> SessionInfo; 404 session_not_found (or expired)
    DELETE /v1/sessions/{session_id}            -> 204 (idempotent)
    PUT    /v1/sessions/{session_id}/profile    ProfileSelect -> SessionInfo; 404 profile of
                                                another account, 403 wrong_pin
    DELETE /v1/sessions/{session_id}/profile    -> SessionInfo (back to "Who's watching?")
    GET    /v1/accounts/{account_id}            -> Account
    PUT    /v1/accounts/{account_id}/plan       PlanChange -> Account
    GET    /v1/accounts/{account_id}/profiles   -> list[Profile]
    POST   /v1/accounts/{account_id}/profiles   ProfileCreate -> Profile (201); 409 profile_limit
    GET    /v1/accounts/{account_id}/profiles/{profile_id}      -> Profile; 404 when not theirs
    PATCH  /v1/accounts/{account_id}/profiles/{profile_id}      ProfileUpdate -> Profile
    DELETE /v1/accounts/{account_id}/profiles/{profile_id}      -> 204; 409 last_profile
    GET    /v1/accounts/{account_id}/profiles/{profile_id}/list -> list[ListEntry] (newest first)
    PUT    /v1/accounts/{account_id}/profiles/{profile_id}/list/{title_id} -> ListEntry; 409
                                                list_full beyond MAX_LIST
    DELETE /v1/accounts/{account_id}/profiles/{profile_id}/list/{title_id} -> 204 (idempotent)
    GET    /v1/plans                            -> list[Plan]
    POST   /v1/admin/accounts                   AdminAccountCreate -> Account (201): seeding/ops
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from vodstack.contracts.common import Maturity

MAX_PROFILES = 5
MAX_LIST = 500  # titles in one profile's "My List"

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    ),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
ProfileName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
AvatarColor = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]


class Role(StrEnum):
    VIEWER = "viewer"
    ADMIN = "admin"


class PlanCode(StrEnum):
    BASIC = "basic"
    STANDARD = "standard"
    PREMIUM = "premium"


class Plan(BaseModel):
    code: PlanCode
    name: str
    max_height: int = Field(description="Highest rendition height the plan may stream, in pixels")
    max_streams: int = Field(description="Concurrent streams allowed")
    price_cents: int


class Account(BaseModel):
    id: int
    email: str
    role: Role
    plan: Plan
    created_at: datetime


class Profile(BaseModel):
    id: int
    account_id: int
    name: str
    avatar_color: str
    maturity: Maturity
    has_pin: bool


class SignUp(BaseModel):
    email: Email
    password: Password
    plan: PlanCode = PlanCode.STANDARD


class AdminAccountCreate(SignUp):
    role: Role = Role.VIEWER


class Credentials(BaseModel):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class SessionInfo(BaseModel):
    session_id: str
    account: Account
    profile: Profile | None
    expires_at: datetime


class ProfileSelect(BaseModel):
    profile_id: int
    pin: Pin | None = None


class ProfileCreate(BaseModel):
    name: ProfileName
    avatar_color: AvatarColor = "#e50914"
    maturity: Maturity = Maturity.ADULT
    pin: Pin | None = None


class ProfileUpdate(BaseModel):
    name: ProfileName | None = None
    avatar_color: AvatarColor | None = None
    maturity: Maturity | None = None
    pin: Pin | None = None
    clear_pin: bool = False


class PlanChange(BaseModel):
    plan: PlanCode


class ListEntry(BaseModel):
    """A title on a profile's "My List". The catalog decides whether it still exists and may be
    shown to the profile; the list only remembers the choice."""

    title_id: int
    added_at: datetime
