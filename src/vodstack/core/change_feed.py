"""A service's change feed: every committed write of a watched row leaves its key in a table.

Other services keep some of this service's answers in memory (playback keeps the titles it
starts and the entitlements of the accounts that start) and read the feed from a cursor to
drop what changed, instead of asking on every request. The feed's rows are added by a
`before_flush` hook on the service's sessions, so every write through the ORM is listed, in
the same transaction: a change is in the feed exactly when it is committed.

Sequence numbers come from the table's autoincrement key. On SQLite writers are serialized,
so their order is commit order. On PostgreSQL they are handed out at insert, not commit: a
reader could see 11 committed, move its cursor past it, and never see 10 committing later; a
transaction-scoped advisory lock taken before the insert and held to the commit makes the two
orders the same (the watched writes are rare: titles edited, subscriptions changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, event, func, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker


@dataclass(frozen=True)
class FeedPage:
    """The keys changed after a cursor; `complete` False: more than a page, or a cursor the
    feed never gave (its database was replaced): the reader must forget everything."""

    cursor: int
    keys: list[int]
    complete: bool = True


class ChangeFeed:
    """The feed of `watched` rows' `key`s, kept in the table of `seq` and `column`."""

    def __init__(
        self,
        watched: type[Any],
        key: str,
        seq: InstrumentedAttribute[int],
        column: InstrumentedAttribute[int],
        lock_id: int,
    ) -> None:
        self._watched = watched
        self._key = key  # the watched row's attribute whose value goes into the feed
        self._seq = seq
        self._column = column
        self._row = cast(type[Any], column.class_)
        self._lock_id = lock_id

    def record(self, sessions: sessionmaker[Session]) -> None:
        """Make every flush of `sessions` that writes watched rows list their keys."""
        if not event.contains(sessions, "before_flush", self._before_flush):
            event.listen(sessions, "before_flush", self._before_flush)

    def read(self, session: Session, after: int, limit: int) -> FeedPage:
        rows = session.execute(
            select(self._seq, self._column)
            .where(self._seq > after)
            .order_by(self._seq)
            .limit(limit + 1)
        ).all()
        if len(rows) > limit:
            return FeedPage(self.newest(session), [], complete=False)
        if rows:
            return FeedPage(rows[-1][0], sorted({row[1] for row in rows}))
        newest = self.newest(session)
        if after > newest:
            return FeedPage(newest, [], complete=False)
        return FeedPage(after, [])

    def newest(self, session: Session) -> int:
        """The cursor of the newest committed change (0: none yet). Read before a snapshot of
        the watched rows, it is where a reader of the snapshot goes on from: a change committed
        after this read is listed after the cursor, one committed before is in the rows."""
        newest: ColumnElement[int] = func.max(self._seq)
        return session.scalar(select(newest)) or 0

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        touched = {
            getattr(row, self._key)
            for rows in (session.new, session.dirty, session.deleted)
            for row in rows
            if isinstance(row, self._watched)
        }
        touched.discard(None)  # a row whose key the database has not given yet: new to all
        if not touched:
            return
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": self._lock_id})
        name = self._column.key
        session.add_all(self._row(**{name: key}) for key in sorted(touched))
