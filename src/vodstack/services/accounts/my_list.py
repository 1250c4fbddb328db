"""A profile's "My List": titles it keeps to watch later.

Kept here, with the profiles, rather than in the catalog: a list belongs to a profile (another
account's profile is 404, deleting the profile deletes its list) and the catalog knows nothing
of who is watching. The list holds title ids only; the gateway asks the catalog for each, so a
title deleted or above the profile's maturity simply does not show.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from vodstack.contracts.accounts import MAX_LIST, ListEntry
from vodstack.core.errors import Conflict
from vodstack.services.accounts.clock import Clock
from vodstack.services.accounts.models import ListEntryRow
from vodstack.services.accounts.repository import profile_row


def _entry(row: ListEntryRow) -> ListEntry:
    return ListEntry(title_id=row.title_id, added_at=row.added_at)


class MyList:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def entries(self, account_id: int, profile_id: int) -> list[ListEntry]:
        """The profile's list, most recently added first."""
        with self._sessions() as db:
            profile_row(db, account_id, profile_id)
            query = select(ListEntryRow).where(ListEntryRow.profile_id == profile_id)
            order = (ListEntryRow.added_at.desc(), ListEntryRow.title_id.desc())
            return [_entry(row) for row in db.scalars(query.order_by(*order))]

    def add(self, account_id: int, profile_id: int, title_id: int) -> ListEntry:
        """Put a title on the list (again: it keeps its place); 409 `list_full` past MAX_LIST."""
        with self._sessions.begin() as db:
            profile_row(db, account_id, profile_id)
            row = db.get(ListEntryRow, (profile_id, title_id))
            if row is not None:
                return _entry(row)
            row = ListEntryRow(profile_id=profile_id, title_id=title_id, added_at=self._clock())
            db.add(row)
            db.flush()
            count = select(func.count()).where(ListEntryRow.profile_id == profile_id)
            if (db.scalar(count) or 0) > MAX_LIST:
                raise Conflict(
                    f"My List holds at most {MAX_LIST} titles; remove one to add another.",
                    code="list_full",
                )
            return _entry(row)

    def remove(self, account_id: int, profile_id: int, title_id: int) -> None:
        with self._sessions.begin() as db:
            profile_row(db, account_id, profile_id)
            row = db.get(ListEntryRow, (profile_id, title_id))
            if row is not None:
                db.delete(row)
