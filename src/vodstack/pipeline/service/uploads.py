"""Resumable uploads of masters: offsets in the style of tus, the truth on disk.

The bytes received so far are the size of `data_dir/uploads/{id}.part`; the database row holds
what the client declared and what became of it. A PATCH appends from `Upload-Offset` and must
start exactly where the file ends (else 409 and the client asks HEAD where to resume); a dropped
connection keeps every byte that arrived. The PATCH that completes the file validates it (the
media layer's probe) and either rejects it with the probe's message, or moves it into the object
store as a master and creates the job. A rejected upload never produces a job or an asset; it
enters the failure outbox (jobs.failures) so its title is flagged for the admins. An upload
that receives nothing for `pipeline.upload_ttl_s` is abandoned: `reap_abandoned` (run
periodically by the service, service.upload_reaper) deletes its part file and expires it.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Enum as SqlEnum
from sqlalchemy import Float, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from vodstack.contracts.pipeline import UploadCreate, UploadState, UploadStatus
from vodstack.core.errors import Conflict, Invalid, NotFound, PayloadTooLarge
from vodstack.pipeline.jobs.failures import record_failure
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.submit import submit_master
from vodstack.pipeline.jobs.title_settings import set_encryption
from vodstack.storage import ObjectStore

# Returns why a source is unusable (a sentence a person can act on), or None if it is fine.
SourceCheck = Callable[[Path], str | None]


class UploadBase(DeclarativeBase):
    pass


class UploadRow(UploadBase):
    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title_id: Mapped[int] = mapped_column(Integer, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    state: Mapped[UploadState] = mapped_column(
        SqlEnum(
            UploadState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    # The PATCH appending now and until when (pipeline.service.upload_lease).
    writer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    writer_until: Mapped[float | None] = mapped_column(Float, nullable=True)


class Uploads:
    """Upload bookkeeping; file I/O here is blocking (the API runs it in a thread)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        store: ObjectStore,
        queue: JobQueue,
        folder: Path,
        *,
        max_bytes: int,
        check: SourceCheck,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._queue = queue
        self._folder = folder
        self._max_bytes = max_bytes
        self._check = check
        folder.mkdir(parents=True, exist_ok=True)

    def part_path(self, upload_id: str) -> Path:
        return self._folder / f"{upload_id}.part"

    def create(self, body: UploadCreate) -> UploadStatus:
        if body.size > self._max_bytes:
            message = f"The file is {body.size} bytes; the limit is {self._max_bytes} bytes."
            self._refused(body, message)
            raise PayloadTooLarge(message, code="upload_too_large")
        if body.size == 0:
            self._refused(body, "the file is empty (0 bytes).")
            raise Invalid(f"{body.filename}: the file is empty (0 bytes).", code="invalid_media")
        # The title's setting from this upload on (read when its job plans).
        set_encryption(self._store, body.title_id, body.encrypt)
        upload_id = secrets.token_hex(12)
        self.part_path(upload_id).touch()
        row = UploadRow(
            id=upload_id,
            title_id=body.title_id,
            filename=body.filename,
            size=body.size,
            state=UploadState.RECEIVING,
            created_at=time.time(),
        )
        with self._sessions.begin() as session:
            session.add(row)
        return self._status(row)

    def _refused(self, body: UploadCreate, problem: str) -> None:
        with self._sessions.begin() as session:
            reason = f"upload {body.filename} refused: {problem}"
            record_failure(session, body.title_id, reason, time.time())

    def status(self, upload_id: str) -> UploadStatus:
        with self._sessions() as session:
            return self._status(self._row(session, upload_id))

    def begin_append(self, upload_id: str, offset: int) -> tuple[UploadStatus, BinaryIO]:
        """Check the offset and open the part file for appending from it."""
        current = self.status(upload_id)
        if current.state is not UploadState.RECEIVING:
            raise Conflict(f"This upload is already {current.state.value}.", code="upload_finished")
        if offset != current.offset:
            raise Conflict(
                f"Upload-Offset {offset} does not match the {current.offset} bytes received; "
                "resume from the server's offset.",
                code="offset_mismatch",
                details=[{"field": "Upload-Offset", "message": str(current.offset)}],
            )
        return current, self.part_path(upload_id).open("ab")

    def finish_append(self, handle: BinaryIO) -> None:
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()

    def complete(self, upload_id: str) -> UploadStatus:
        """Validate a fully received upload, then store it as a master and create its job."""
        current = self.status(upload_id)
        if current.state is not UploadState.RECEIVING:
            return current
        part = self.part_path(upload_id)
        # Probing takes a while: no database transaction is held meanwhile.
        problem = self._check(part)
        job_id: int | None = None
        if problem is None:
            submitted = submit_master(
                self._store,
                self._queue,
                current.title_id,
                part,
                name=upload_id,
                filename=current.filename,
                move=True,
            )
            job_id = submitted.job_id
        else:
            part.unlink(missing_ok=True)
        with self._sessions.begin() as session:
            row = self._row(session, upload_id)
            row.state = UploadState.REJECTED if problem else UploadState.COMPLETE
            row.error = problem
            row.job_id = job_id
            status = self._status(row)
            if problem is not None:
                # The title was made for this upload: the catalog flags it for the admins.
                reason = f"upload {current.filename} refused: {problem}"
                record_failure(session, current.title_id, reason, time.time())
        if problem is not None:
            raise Invalid(f"{current.filename}: {problem}", code="invalid_media")
        return status

    def reap_abandoned(self, ttl_s: float, now: float | None = None) -> list[str]:
        """Expire uploads that received nothing for `ttl_s` and delete their bytes (also part
        files no row knows of); returns the expired upload ids."""
        now = time.time() if now is None else now
        expired: list[str] = []
        with self._sessions.begin() as session:
            receiving = session.scalars(
                select(UploadRow).where(UploadRow.state == UploadState.RECEIVING)
            ).all()
            for row in receiving:
                if now - self._last_activity(row) < ttl_s:
                    continue
                self.part_path(row.id).unlink(missing_ok=True)
                row.state = UploadState.EXPIRED
                row.error = f"abandoned: no data received for {ttl_s / 3600:g} h"
                reason = f"upload {row.filename} {row.error}"
                record_failure(session, row.title_id, reason, now)
                expired.append(row.id)
            known = {row.id for row in receiving}
        for part in self._folder.glob("*.part"):
            if part.stem not in known and now - part.stat().st_mtime >= ttl_s:
                part.unlink(missing_ok=True)  # a crash between the file and its row
        return expired

    def _last_activity(self, row: UploadRow) -> float:
        try:
            return max(row.created_at, self.part_path(row.id).stat().st_mtime)
        except FileNotFoundError:
            return row.created_at

    def _row(self, session: Session, upload_id: str) -> UploadRow:
        row = session.get(UploadRow, upload_id)
        if row is None:
            raise NotFound("No such upload.", code="upload_not_found")
        return row

    def _status(self, row: UploadRow) -> UploadStatus:
        part = self.part_path(row.id)
        if row.state is UploadState.RECEIVING:
            offset = part.stat().st_size if part.exists() else 0
        else:
            offset = row.size if row.state is UploadState.COMPLETE else 0
        return UploadStatus(
            id=row.id,
            title_id=row.title_id,
            filename=row.filename,
            size=row.size,
            offset=offset,
            state=row.state,
            job_id=row.job_id,
            error=row.error,
        )
