"""The starts' writes on the event loop, gathered into one transaction per loop iteration.

A start's write on the loop (repository `try_open`) cost about 270 µs of CPU, most of it
SQLite's commit (the WAL frames of the pages it changed), not the statements: 32 starts in one
transaction cost 37 µs each through the raw driver, 85-100 µs as written here (docs/benchmarks.md,
"Eighth pass: the playback start's p99").
At 32 connections many starts reach their write in the same iteration of the loop (their
upstream answers arrive together), so `GroupCommit.open` queues the start and the first one of
an iteration schedules a flush at the end of it (`call_soon`: no timer, no added wait beyond
the iteration); the flush writes them all with `SessionStore.try_open_many` (a savepoint per
start, one commit) and each start gets its own outcome. A start answers only after the commit,
as before; one that was cancelled while queued is not written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from vodstack.contracts.playback import PlaySession
from vodstack.services.playback.repository import NewSession, StreamLimitReached

#: Starts per transaction at most: a bound on how long one transaction holds the write lock.
MAX_BATCH = 64

Outcome = PlaySession | StreamLimitReached | None
WriteMany = Callable[[Sequence[tuple[NewSession, int]]], list[Outcome]]


class GroupCommit:
    """`open` a start's session with the other starts of the same loop iteration."""

    def __init__(self, write_many: WriteMany, *, max_batch: int = MAX_BATCH) -> None:
        self._write_many = write_many
        self._max_batch = max_batch
        self._pending: list[tuple[NewSession, int, asyncio.Future[Outcome]]] = []
        #: Transactions written and starts they held (for tests and the benchmark's reading).
        self.flushes = 0
        self.written = 0

    async def open(self, new: NewSession, max_streams: int) -> PlaySession | None:
        """The stored session; None when the start must take the store's `open` in a thread
        (the database was busy, or the account needs the ORM path); `StreamLimitReached`."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((new, max_streams, future))
        outcome = await future
        if isinstance(outcome, StreamLimitReached):
            raise outcome
        return outcome

    def _flush(self) -> None:
        queued, self._pending = self._pending, []
        live = [entry for entry in queued if not entry[2].cancelled()]
        for start in range(0, len(live), self._max_batch):
            batch = live[start : start + self._max_batch]
            try:
                outcomes = self._write_many([(new, limit) for new, limit, _ in batch])
            except Exception as exc:  # each start of the batch raises it, as it would alone
                for _new, _limit, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.flushes += 1
            self.written += sum(isinstance(outcome, PlaySession) for outcome in outcomes)
            for (_new, _limit, future), outcome in zip(batch, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
