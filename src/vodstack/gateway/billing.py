"""The account's subscription as the gateway drives it, for the JSON API and the account page.

Billing owns the subscription and its money; accounts owns the plan's limits. A plan change is
charged first (billing prorates it, and refuses it with 402 if declined) and only then applied
to the account, so nobody streams on a plan they did not pay for. Accounts from before billing
(no subscription) change plan in accounts alone.

Every call takes an idempotency key: the client's `Idempotency-Key` header when it sends one
(its retries then act once), a key rendered into the form for the web pages (a double-submitted
form acts once), else a fresh one.
"""

from __future__ import annotations

import logging
import secrets

from vodstack.contracts.accounts import Account, PlanCode, SessionInfo
from vodstack.contracts.billing import BillingOverview, Subscribe
from vodstack.core.errors import ServiceUnavailable, UpstreamError
from vodstack.gateway.state import GatewayState
from vodstack.gateway.upstreams import Upstreams

log = logging.getLogger(__name__)


def new_key() -> str:
    return secrets.token_urlsafe(18)


async def subscribe_new_account(clients: Upstreams, account: Account) -> None:
    """Start the subscription of a just-created account on its plan. The account exists
    whatever billing answers: a billing outage must not lose a sign-up (the account page
    offers to start the subscription later)."""
    body = Subscribe(account_id=account.id, plan=account.plan.code)
    try:
        await clients.billing.subscribe(body, key=f"signup-{account.id}")
    except (ServiceUnavailable, UpstreamError) as exc:
        log.warning("account %d signed up without a subscription: %s", account.id, exc.message)


async def change_plan(
    state: GatewayState, clients: Upstreams, session: SessionInfo, plan: PlanCode, key: str
) -> Account:
    account_id = session.account.id
    if await clients.billing.overview(account_id) is not None:
        await clients.billing.change_plan(account_id, plan, key)
    account = await clients.accounts.change_plan(account_id, plan)
    await state.session_cache.invalidate_account(account_id)
    return account


async def start(
    clients: Upstreams, session: SessionInfo, payment_method: str, key: str
) -> BillingOverview:
    body = Subscribe(
        account_id=session.account.id, plan=session.account.plan.code, payment_method=payment_method
    )
    return await clients.billing.subscribe(body, key)
