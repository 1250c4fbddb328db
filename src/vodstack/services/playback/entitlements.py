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

The cache answers only accounts that started before, and a new account's first start is
the common case. `BillingReplica` holds every account with a subscription as of a point in the
same feed (clients/feed_replica.py): an account absent from it, and not named by the feed
since, has no subscription, so billing would answer "not billed, entitled"; it is answered so
without a call, with the cache's staleness bound (a subscription started within one feed
interval may meet one more unchecked start, as a not-billed account it was). Every billed
account is asked (or answered by the cache) as before: its answer may depend on the clock or
carry billing's words, and a change of status reaches its next start at once, as it did.
While the replica is not current (billing or its feed unreachable, the snapshot too large)
every account is asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from vodstack.clients.feed_cache import FeedCache
from vodstack.clients.feed_replica import FeedReplica, Snapshot
from vodstack.contracts.billing import BilledAccounts, Entitlement, SubscriptionStatus
from vodstack.contracts.common import Changes


class EntitlementFeed(Protocol):
    """Billing, as the cache uses it (clients.billing.BillingClient)."""

    async def entitlement(self, account_id: int) -> Entitlement: ...

    async def changes(self, after: int) -> Changes: ...


class BilledFeed(EntitlementFeed, Protocol):
    """Billing with its snapshot of every subscription (clients.billing.BillingClient)."""

    async def billed(self) -> BilledAccounts: ...


class BillingReplica(FeedReplica[bool]):
    """Every account with a subscription, as of billing's change feed (see above)."""

    def __init__(
        self, billing: BilledFeed, *, fresh_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        async def snapshot() -> Snapshot[bool]:
            billed = await billing.billed()
            return Snapshot(billed.cursor, dict.fromkeys(billed.accounts, True), billed.complete)

        super().__init__("billed accounts", snapshot, billing.changes, fresh_s=fresh_s, clock=clock)


class CachedEntitlements:
    """`entitlement` as billing answers it, from memory while the change feed vouches for it."""

    def __init__(
        self,
        billing: EntitlementFeed,
        cache: FeedCache[Entitlement],
        replica: BillingReplica | None = None,
    ) -> None:
        self._billing = billing
        self._cache = cache
        self._replica = replica

    async def entitlement(self, account_id: int) -> Entitlement:
        kept = self._cache.get(account_id)
        if kept is not None:
            return kept
        if self._replica is not None and self._replica.get(account_id) is None:
            return Entitlement(account_id=account_id, entitled=True, status=None)  # not billed
        ticket = self._cache.ticket()
        answer = await self._billing.entitlement(account_id)
        if answer.entitled and answer.status in (None, SubscriptionStatus.ACTIVE):
            self._cache.keep(ticket, account_id, answer)
        return answer
