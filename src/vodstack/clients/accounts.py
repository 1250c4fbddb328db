"""Typed client of the accounts service."""

from __future__ import annotations

from pydantic import TypeAdapter

from vodstack.contracts.accounts import (
    Account,
    AdminAccountCreate,
    Credentials,
    ListEntry,
    Plan,
    PlanChange,
    PlanCode,
    Profile,
    ProfileCreate,
    ProfileSelect,
    ProfileUpdate,
    SessionInfo,
    SignUp,
)
from vodstack.core.http import ServiceClient

_profiles = TypeAdapter(list[Profile])
_plans = TypeAdapter(list[Plan])
_entries = TypeAdapter(list[ListEntry])


class AccountsClient(ServiceClient):
    service = "accounts"

    async def sign_up(self, body: SignUp) -> Account:
        return await self.send_model("POST", "/v1/accounts", Account, json=body.model_dump())

    async def create_account(self, body: AdminAccountCreate) -> Account:
        """Operator path: an account with a chosen role (demo seeding, admin tooling)."""
        return await self.send_model("POST", "/v1/admin/accounts", Account, json=body.model_dump())

    async def log_in(self, body: Credentials) -> SessionInfo:
        return await self.send_model("POST", "/v1/sessions", SessionInfo, json=body.model_dump())

    async def session(self, session_id: str) -> SessionInfo:
        return await self.get_model(f"/v1/sessions/{session_id}", SessionInfo)

    async def log_out(self, session_id: str) -> None:
        await self.request("DELETE", f"/v1/sessions/{session_id}")

    async def select_profile(self, session_id: str, body: ProfileSelect) -> SessionInfo:
        return await self.send_model(
            "PUT", f"/v1/sessions/{session_id}/profile", SessionInfo, json=body.model_dump()
        )

    async def clear_profile(self, session_id: str) -> SessionInfo:
        return await self.send_model("DELETE", f"/v1/sessions/{session_id}/profile", SessionInfo)

    async def account(self, account_id: int) -> Account:
        return await self.get_model(f"/v1/accounts/{account_id}", Account)

    async def change_plan(self, account_id: int, plan: PlanCode) -> Account:
        body = PlanChange(plan=plan).model_dump()
        return await self.send_model("PUT", f"/v1/accounts/{account_id}/plan", Account, json=body)

    async def profiles(self, account_id: int) -> list[Profile]:
        return await self.get_as(f"/v1/accounts/{account_id}/profiles", _profiles)

    async def profile(self, account_id: int, profile_id: int) -> Profile:
        return await self.get_model(f"/v1/accounts/{account_id}/profiles/{profile_id}", Profile)

    async def create_profile(self, account_id: int, body: ProfileCreate) -> Profile:
        return await self.send_model(
            "POST", f"/v1/accounts/{account_id}/profiles", Profile, json=body.model_dump()
        )

    async def update_profile(
        self, account_id: int, profile_id: int, body: ProfileUpdate
    ) -> Profile:
        return await self.send_model(
            "PATCH",
            f"/v1/accounts/{account_id}/profiles/{profile_id}",
            Profile,
            json=body.model_dump(exclude_unset=True),
        )

    async def delete_profile(self, account_id: int, profile_id: int) -> None:
        await self.request("DELETE", f"/v1/accounts/{account_id}/profiles/{profile_id}")

    async def plans(self) -> list[Plan]:
        return await self.get_as("/v1/plans", _plans)

    async def my_list(self, account_id: int, profile_id: int) -> list[ListEntry]:
        return await self.get_as(self._list(account_id, profile_id), _entries)

    async def add_to_list(self, account_id: int, profile_id: int, title_id: int) -> ListEntry:
        path = f"{self._list(account_id, profile_id)}/{title_id}"
        return await self.send_model("PUT", path, ListEntry)

    async def remove_from_list(self, account_id: int, profile_id: int, title_id: int) -> None:
        await self.request("DELETE", f"{self._list(account_id, profile_id)}/{title_id}")

    @staticmethod
    def _list(account_id: int, profile_id: int) -> str:
        return f"/v1/accounts/{account_id}/profiles/{profile_id}/list"
