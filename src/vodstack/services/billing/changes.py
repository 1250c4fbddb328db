"""The subscriptions' change feed (core/change_feed.py): every committed write of a subscription
(started, plan changed, past due, paid, cancelled) lists its account. Playback keeps the
entitlements of the accounts that start and reads this to drop what changed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from vodstack.contracts.billing import BilledAccounts
from vodstack.contracts.common import Changes
from vodstack.core.change_feed import ChangeFeed
from vodstack.services.billing.models import SubscriptionChangeRow, SubscriptionRow

SUBSCRIPTIONS = ChangeFeed(
    SubscriptionRow,
    "account_id",
    SubscriptionChangeRow.seq,
    SubscriptionChangeRow.account_id,
    lock_id=0x7375627363,  # "subsc"
)


def read_changes(session: Session, after: int, limit: int) -> Changes:
    """The accounts whose subscription changed since `after` (0 at first)."""
    page = SUBSCRIPTIONS.read(session, after, limit)
    return Changes(cursor=page.cursor, ids=page.keys, complete=page.complete)


def read_billed(session: Session, limit: int) -> BilledAccounts:
    """Every subscription's account, as of the feed's newest cursor: the cursor is
    read first, so a subscription written after it is listed by the feed after that cursor
    (and perhaps in the rows too); rows first could miss one committed between the reads."""
    cursor = SUBSCRIPTIONS.newest(session)
    accounts = list(
        session.scalars(
            select(SubscriptionRow.account_id).order_by(SubscriptionRow.account_id).limit(limit + 1)
        )
    )
    if len(accounts) > limit:
        return BilledAccounts(cursor=cursor, accounts=[], complete=False)
    return BilledAccounts.model_construct(cursor=cursor, accounts=accounts, complete=True)
