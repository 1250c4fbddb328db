"""The entitlements of the accounts that start, kept in memory and dropped by billing's feed.

Every start asks billing whether the account may play: until this cache, a call on every
start, billing's most frequent request. What the answer depends on changes only when the
account's subscription is written (started, cancelled, past due, paid), and billing lists
every committed change of a subscription in its feed (services/billing/changes.py), read
every `playback.change_feed_s` (clients.feed_cache): a cancelled subscription stops new
starts within that interval plus one call.

Only answers that do not depend on the clock are kept: an active subscription, and an
account without one (not billed). A past-due one plays until its grace ends, a time billing
decides on its own clock, so it is asked at every start, as is a refusal. When the feed
cannot be read nothing is kept and every start asks billing, whose outage then lets starts
through as before (docs/billing.md).
"""

from __future__ import annotations

from typing import Protocol

from vodstack.clients.feed_cache import FeedCache
from vodstack.contracts.billing import Entitlement, SubscriptionStatus
from vodstack.contracts.common import Changes


class EntitlementFeed(Protocol):
    """Billing, as the cache uses it (clients.billing.BillingClient)."""

    async def entitlement(self, account_id: int) -> Entitlement: ...

    async def changes(self, after: int) -> Changes: ...


class CachedEntitlements:
    """`entitlement` as billing answers it, from memory while the change feed vouches for it."""

    def __init__(self, billing: EntitlementFeed, cache: FeedCache[Entitlement]) -> None:
        self._billing = billing
        self._cache = cache

    async def entitlement(self, account_id: int) -> Entitlement:
        kept = self._cache.get(account_id)
        if kept is not None:
            return kept
        ticket = self._cache.ticket()
        answer = await self._billing.entitlement(account_id)
        if answer.entitled and answer.status in (None, SubscriptionStatus.ACTIVE):
            self._cache.keep(ticket, account_id, answer)
        return answer
