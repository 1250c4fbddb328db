"""The titles' change feed: every committed write of a title leaves its id in `title_changes`.

Services that keep titles in memory (playback keeps the playable version and name of the
titles it starts) read the feed from a cursor and drop what changed, instead of asking the
catalog on every request. The rows are added by a `before_flush` hook on the catalog's
sessions, so every write through the ORM (a title created, edited, published, deleted, an
episode added or removed with its series) is in the feed, in the same transaction: a change
is in the feed exactly when it is committed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from vodstack.contracts.catalog import TitleChanges
from vodstack.services.catalog.models import TitleChangeRow, TitleRow

# The advisory lock that orders the feed on PostgreSQL (an arbitrary constant of this feed).
_FEED_LOCK = 0x7469746C65  # "title"


def record_title_changes(sessions: sessionmaker[Session]) -> None:
    """Make every flush of `sessions` that touches titles add their ids to the feed."""
    if not event.contains(sessions, "before_flush", _before_flush):
        event.listen(sessions, "before_flush", _before_flush)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    touched = {
        row.id
        for rows in (session.new, session.dirty, session.deleted)
        for row in rows
        if isinstance(row, TitleRow) and row.id is not None
    }
    if not touched:
        return  # a new title has no id before its flush, and nobody can have cached it yet
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Sequence numbers are handed out at insert, not commit: without this, a reader could
        # see seq 11 committed, move its cursor past it, and never see 10 committing later.
        # Held to the commit, the lock makes feed order commit order (title writes are rare).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK})
    session.add_all(TitleChangeRow(title_id=title_id) for title_id in sorted(touched))


def read_changes(session: Session, after: int, limit: int) -> TitleChanges:
    """The titles changed since `after` (a cursor from an earlier answer, 0 at first)."""
    rows = session.execute(
        select(TitleChangeRow.seq, TitleChangeRow.title_id)
        .where(TitleChangeRow.seq > after)
        .order_by(TitleChangeRow.seq)
        .limit(limit + 1)
    ).all()
    if len(rows) > limit:
        # Too many to list: the reader forgets every title and goes on from the newest change.
        return TitleChanges(cursor=_newest(session), title_ids=[], complete=False)
    if rows:
        return TitleChanges(cursor=rows[-1].seq, title_ids=sorted({r.title_id for r in rows}))
    newest = _newest(session)
    if after > newest:
        # A cursor the feed never gave (the catalog's database was replaced): start over.
        return TitleChanges(cursor=newest, title_ids=[], complete=False)
    return TitleChanges(cursor=after, title_ids=[])


def _newest(session: Session) -> int:
    return session.scalar(select(func.max(TitleChangeRow.seq))) or 0
