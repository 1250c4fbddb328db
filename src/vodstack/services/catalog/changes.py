"""The titles' change feed (core/change_feed.py): every committed write of a title, an episode
added or removed with its series included, lists the title's id. Playback keeps the titles it
starts and reads this to drop what changed (services/playback/titles.py)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vodstack.contracts.common import Changes
from vodstack.core.change_feed import ChangeFeed
from vodstack.services.catalog.models import TitleChangeRow, TitleRow

TITLES = ChangeFeed(
    TitleRow, "id", TitleChangeRow.seq, TitleChangeRow.title_id, lock_id=0x7469746C65
)


def read_changes(session: Session, after: int, limit: int) -> Changes:
    """The titles changed since `after` (a cursor from an earlier answer, 0 at first)."""
    page = TITLES.read(session, after, limit)
    return Changes(cursor=page.cursor, ids=page.keys, complete=page.complete)
