"""Playback's kept entitlements (services/playback/entitlements.py): only answers that do not
depend on billing's clock are kept, and billing's change feed drops them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.support.clock import FakeMonotonic
from vodstack.clients.feed_cache import FeedCache
from vodstack.contracts.billing import BilledAccounts, Entitlement, SubscriptionStatus
from vodstack.contracts.common import Changes
from vodstack.services.playback.entitlements import BillingReplica, CachedEntitlements

ACTIVE, NOT_BILLED, PAST_DUE, CANCELLED = 1, 2, 3, 4


class FakeBilling:
    def __init__(self) -> None:
        grace = datetime(2030, 1, 8, tzinfo=UTC)
        self.answers = {
            ACTIVE: Entitlement(account_id=ACTIVE, entitled=True, status=SubscriptionStatus.ACTIVE),
            NOT_BILLED: Entitlement(account_id=NOT_BILLED, entitled=True, status=None),
            PAST_DUE: Entitlement(
                account_id=PAST_DUE,
                entitled=True,
                status=SubscriptionStatus.PAST_DUE,
                grace_until=grace,
            ),
            CANCELLED: Entitlement(
                account_id=CANCELLED,
                entitled=False,
                status=SubscriptionStatus.CANCELLED,
                code="subscription_cancelled",
            ),
        }
        self.feed: list[int] = []
        self.asked: list[int] = []

    async def entitlement(self, account_id: int) -> Entitlement:
        self.asked.append(account_id)
        return self.answers[account_id]

    async def changes(self, after: int) -> Changes:
        return Changes(cursor=len(self.feed), ids=sorted(set(self.feed[after:])))

    def cancel(self, account_id: int) -> None:
        self.answers[account_id] = self.answers[CANCELLED].model_copy(
            update={"account_id": account_id}
        )
        self.feed.append(account_id)


def test_only_answers_free_of_billings_clock_are_kept() -> None:
    billing = FakeBilling()
    cache: FeedCache[Entitlement] = FeedCache(
        "entitlements", billing.changes, fresh_s=1.5, clock=FakeMonotonic()
    )
    entitlements = CachedEntitlements(billing, cache)

    async def scenario() -> None:
        await cache.poll()
        for _ in range(3):
            for account in (ACTIVE, NOT_BILLED, PAST_DUE, CANCELLED):
                await entitlements.entitlement(account)
        assert billing.asked.count(ACTIVE) == billing.asked.count(NOT_BILLED) == 1
        assert billing.asked.count(PAST_DUE) == billing.asked.count(CANCELLED) == 3

    asyncio.run(scenario())


def test_a_cancellation_in_the_feed_reaches_the_next_start_after_a_read() -> None:
    billing = FakeBilling()
    cache: FeedCache[Entitlement] = FeedCache(
        "entitlements", billing.changes, fresh_s=1.5, clock=FakeMonotonic()
    )
    entitlements = CachedEntitlements(billing, cache)

    async def scenario() -> None:
        await cache.poll()
        assert (await entitlements.entitlement(ACTIVE)).entitled
        billing.cancel(ACTIVE)
        assert (await entitlements.entitlement(ACTIVE)).entitled, "until the feed is read"
        await cache.poll()
        refused = await entitlements.entitlement(ACTIVE)
        assert not refused.entitled and refused.code == "subscription_cancelled"

    asyncio.run(scenario())


def test_a_full_cache_starts_over() -> None:
    billing = FakeBilling()
    for account in range(10, 15):
        billing.answers[account] = billing.answers[ACTIVE].model_copy(
            update={"account_id": account}
        )
    cache: FeedCache[Entitlement] = FeedCache(
        "entitlements", billing.changes, fresh_s=1.5, clock=FakeMonotonic(), max_entries=3
    )
    entitlements = CachedEntitlements(billing, cache)

    async def scenario() -> None:
        await cache.poll()
        for account in range(10, 15):
            await entitlements.entitlement(account)
        assert cache.kept == 2, "the fourth started over: 13 and 14 kept"
        await entitlements.entitlement(14)
        await entitlements.entitlement(10)
        assert billing.asked == [10, 11, 12, 13, 14, 10]

    asyncio.run(scenario())


class BilledFakeBilling(FakeBilling):
    """With billing's snapshot of its subscribers (every account but NOT_BILLED)."""

    async def billed(self) -> BilledAccounts:
        accounts = sorted(a for a in self.answers if a != NOT_BILLED)
        return BilledAccounts(cursor=len(self.feed), accounts=accounts)


def test_a_never_billed_account_is_answered_by_the_replica_without_a_call() -> None:
    billing = BilledFakeBilling()
    clock = FakeMonotonic()
    cache: FeedCache[Entitlement] = FeedCache(
        "entitlements", billing.changes, fresh_s=1.5, clock=clock
    )
    replica = BillingReplica(billing, fresh_s=1.5, clock=clock)
    entitlements = CachedEntitlements(billing, cache, replica)

    async def scenario() -> None:
        await cache.poll()
        await replica.poll()
        for account in (NOT_BILLED, 77, 78):  # never seen, never billed
            answer = await entitlements.entitlement(account)
            assert answer == Entitlement(account_id=account, entitled=True, status=None)
        assert billing.asked == []
        await entitlements.entitlement(PAST_DUE)
        assert billing.asked == [PAST_DUE], "a billed account is asked, as before"

        billing.cancel(77)  # 77 subscribed (and was cancelled) since the snapshot
        assert (await entitlements.entitlement(77)).entitled, "until the feed is read"
        await replica.poll()
        refused = await entitlements.entitlement(77)
        assert not refused.entitled and billing.asked[-1] == 77

    asyncio.run(scenario())
