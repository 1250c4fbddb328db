"""The subscriptions' change feed (core/change_feed.py): every committed write of a subscription
(started, plan changed, past due, paid, cancelled) lists its account. Playback keeps the
entitlements of the accounts that start and reads this to drop what changed."""

from __future__ import annotations

from sqlalchemy.orm import Session

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
