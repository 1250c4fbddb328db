"""Typed client of the billing service. Every mutating call takes the caller's idempotency key:
a caller retrying one action (a double-clicked button, a request that timed out) sends the
same key, so the action, and its charge, happens once."""

from __future__ import annotations

from vodstack.contracts.accounts import PlanCode
from vodstack.contracts.billing import (
    IDEMPOTENCY_HEADER,
    BilledAccounts,
    BillingOverview,
    Entitlement,
    PaymentMethod,
    PlanSwitch,
    Subscribe,
)
from vodstack.contracts.common import Changes
from vodstack.core.errors import UpstreamError
from vodstack.core.http import ServiceClient


class BillingClient(ServiceClient):
    service = "billing"

    async def subscribe(self, body: Subscribe, key: str) -> BillingOverview:
        return await self.send_model(
            "POST", "/v1/subscriptions", BillingOverview, json=body.model_dump(), headers=_key(key)
        )

    async def overview(self, account_id: int) -> BillingOverview | None:
        """The account's subscription, invoices and attempts; None when it has none."""
        try:
            return await self.get_model(f"/v1/subscriptions/{account_id}", BillingOverview)
        except UpstreamError as exc:
            if exc.status_code == 404 and exc.code == "no_subscription":
                return None
            raise

    async def change_plan(self, account_id: int, plan: PlanCode, key: str) -> BillingOverview:
        body = PlanSwitch(plan=plan).model_dump()
        path = f"/v1/subscriptions/{account_id}/plan"
        return await self.send_model("PUT", path, BillingOverview, json=body, headers=_key(key))

    async def set_payment_method(self, account_id: int, token: str, key: str) -> BillingOverview:
        body = PaymentMethod(payment_method=token).model_dump()
        path = f"/v1/subscriptions/{account_id}/payment-method"
        return await self.send_model("PUT", path, BillingOverview, json=body, headers=_key(key))

    async def cancel(self, account_id: int, key: str) -> BillingOverview:
        path = f"/v1/subscriptions/{account_id}/cancel"
        return await self.send_model("POST", path, BillingOverview, headers=_key(key))

    async def entitlement(self, account_id: int) -> Entitlement:
        return await self.get_model(f"/v1/entitlements/{account_id}", Entitlement)

    async def changes(self, after: int) -> Changes:
        """The accounts whose subscription changed since the cursor `after` (billing's feed)."""
        return await self.get_model("/v1/entitlements/changes", Changes, params={"after": after})

    async def billed(self) -> BilledAccounts:
        """Every account with a subscription, as of the feed's cursor (billing's snapshot)."""
        return await self.get_model("/v1/entitlements/billed", BilledAccounts)


def _key(key: str) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: key}
