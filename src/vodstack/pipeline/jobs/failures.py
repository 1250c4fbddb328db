"""Failed titles, for the catalog and the operator: the failure outbox.

A refused upload or a job that failed for good leaves a row here, in the transaction that
records the failure. The pipeline service drains it (service.catalog_sync): the catalog marks
a title never published as `failed`, which takes it out of nobody's view (viewers never saw it)
and puts it, with this row's reason, in front of the admins. A failure followed by a newer job
for the same title is retired unannounced: the new attempt speaks for the title.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vodstack.pipeline.jobs.models import FailureRow, JobRow


@dataclass(frozen=True, slots=True)
class TitleFailure:
    id: int
    title_id: int
    job_id: int | None
    reason: str
    failed_at: float


def record_failure(
    session: Session, title_id: int, reason: str, now: float, job_id: int | None = None
) -> None:
    """Add the failure to the outbox, inside the caller's transaction."""
    session.add(FailureRow(title_id=title_id, job_id=job_id, reason=reason, failed_at=now))


def _view(row: FailureRow) -> TitleFailure:
    return TitleFailure(row.id, row.title_id, row.job_id, row.reason, row.failed_at)


class FailureOutbox:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def unsynced(self) -> list[TitleFailure]:
        """Failures the catalog has not been told of, oldest first (superseded ones retired)."""
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(FailureRow).where(FailureRow.synced.is_(False)).order_by(FailureRow.id)
            ).all()
            due = []
            for row in rows:
                if _superseded(session, row):
                    row.synced = True
                    continue
                due.append(_view(row))
            return due

    def mark_synced(self, failure_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(FailureRow, failure_id)
            if row is not None:
                row.synced = True

    def latest(self, title_id: int) -> TitleFailure | None:
        """The title's most recent failure, for the admin pages."""
        with self._sessions() as session:
            row = session.scalars(
                select(FailureRow)
                .where(FailureRow.title_id == title_id)
                .order_by(FailureRow.id.desc())
                .limit(1)
            ).first()
            return None if row is None else _view(row)


def _superseded(session: Session, row: FailureRow) -> bool:
    # Job ids only grow; a refused upload has no job, so its time decides.
    later = JobRow.id > row.job_id if row.job_id is not None else JobRow.created_at > row.failed_at
    newer = select(JobRow.id).where(JobRow.title_id == row.title_id, later)
    return session.scalars(newer.limit(1)).first() is not None
