"""Who is appending to an upload: a writer lease in the jobs database, not a lock in memory.

Any pipeline API instance may take any request of an upload, so "one PATCH at a time" cannot
be a lock in one process's memory (it was while the API ran as one instance). A PATCH takes the
upload's lease with one conditional UPDATE (free or run out), renews it on a task of its own
while bytes arrive and while the finished file is probed, and releases it at the end. An
instance killed mid-PATCH leaves its lease behind; it runs out after `pipeline.upload_lease_s`
and the client's next chunk, sent to any instance, takes over from the offset the part file
shows (the bytes on disk are the truth, shared by every instance). A writer that could not renew
in time (frozen, database away) stops before its next write rather than append after a
successor: `check` renews first when the last renewal is older than half a lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.orm import Session, sessionmaker

from vodstack.core.errors import Conflict
from vodstack.pipeline.service.uploads import UploadRow

log = logging.getLogger(__name__)


class UploadLeases:
    """The writer lease of each upload, in the jobs database (SQLite or PostgreSQL)."""

    def __init__(self, sessions: sessionmaker[Session], lease_s: float) -> None:
        self._sessions = sessions
        self.lease_s = lease_s

    def take(self, upload_id: str, writer: str, now: float | None = None) -> bool:
        """Become the writer if there is none or its lease ran out; False if one holds it."""
        now = time.time() if now is None else now
        free = or_(UploadRow.writer.is_(None), UploadRow.writer_until < now)
        return self._set(upload_id, free, writer, now + self.lease_s)

    def renew(self, upload_id: str, writer: str, now: float | None = None) -> bool:
        """Extend this writer's lease; False if it was lost (run out and taken over)."""
        now = time.time() if now is None else now
        return self._set(upload_id, UploadRow.writer == writer, writer, now + self.lease_s)

    def release(self, upload_id: str, writer: str) -> None:
        self._set(upload_id, UploadRow.writer == writer, None, None)

    def _set(self, upload_id: str, condition: Any, writer: str | None, until: float | None) -> bool:
        statement = (
            update(UploadRow)
            .where(UploadRow.id == upload_id, condition)
            .values(writer=writer, writer_until=until)
        )
        with self._sessions.begin() as session:
            result: CursorResult[Any] = session.connection().execute(statement)
            return result.rowcount == 1


class HeldLease:
    """A lease this request holds; `check` before every write."""

    def __init__(self, leases: UploadLeases, upload_id: str) -> None:
        self.leases = leases
        self.upload_id = upload_id
        self.writer = secrets.token_hex(8)
        self.lost = False
        self.renewed = time.monotonic()

    async def renew(self) -> bool:
        if not self.lost:
            held = await asyncio.to_thread(self.leases.renew, self.upload_id, self.writer)
            self.lost = not held
            if held:
                self.renewed = time.monotonic()
        return not self.lost

    async def still_held(self) -> bool:
        if time.monotonic() - self.renewed > self.leases.lease_s / 2:
            return await self.renew()
        return not self.lost

    async def check(self) -> None:
        """Raise 409 `upload_lease_lost` if another request may be writing this upload now."""
        if not await self.still_held():
            raise Conflict(
                "This request lost the upload to another one (it stalled past the writer "
                "lease); resume from the server's offset.",
                code="upload_lease_lost",
            )

    async def keep_renewed(self) -> None:
        while not self.lost:
            await asyncio.sleep(self.leases.lease_s / 3)
            try:
                await self.renew()
            except Exception:
                log.exception("renewing the writer lease of upload %s failed", self.upload_id)


@contextlib.asynccontextmanager
async def hold_upload(leases: UploadLeases, upload_id: str) -> AsyncIterator[HeldLease]:
    """Hold the upload's writer lease for the block; 409 `upload_busy` if another holds it."""
    held = HeldLease(leases, upload_id)
    if not await asyncio.to_thread(leases.take, upload_id, held.writer):
        raise Conflict(
            "Another request is writing this upload; ask HEAD for the offset and resume "
            f"(a writer that died gives way within {leases.lease_s:g} s).",
            code="upload_busy",
        )
    renewal = asyncio.create_task(held.keep_renewed(), name=f"upload lease {upload_id}")
    try:
        yield held
    finally:
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal
        # Shielded: a cancelled request must still give the upload back at once.
        await asyncio.shield(asyncio.to_thread(leases.release, upload_id, held.writer))
