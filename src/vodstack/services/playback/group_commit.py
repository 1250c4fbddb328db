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

When the write lock is busy (the sweep or a heartbeat writing in a thread, another process
writing), the batch waits on the loop and is tried again every `RETRY_S`, for at most
`WAIT_S`, before its starts take the thread path one by one: once a second the sweep ends a
second's worth of silent streams, and sending the 32 starts that met it to 32 threads, each
waiting for the same lock and then for the GIL at every statement, was the start's tail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from vodstack.contracts.playback import PlaySession
from vodstack.services.playback.nowait import WouldWait
from vodstack.services.playback.repository import NewSession, StreamLimitReached

#: Starts per transaction at most: a bound on how long one transaction holds the write lock.
MAX_BATCH = 64
#: How often a batch that met a busy write lock tries again, and for how long at most.
RETRY_S = 0.002
WAIT_S = 0.25

Outcome = PlaySession | StreamLimitReached | None
_Queued = tuple[NewSession, int, "asyncio.Future[Outcome]"]
WriteMany = Callable[[Sequence[tuple[NewSession, int]]], list[Outcome]]


class GroupCommit:
    """`open` a start's session with the other starts of the same loop iteration."""

    def __init__(
        self,
        write_many: WriteMany,
        *,
        max_batch: int = MAX_BATCH,
        retry_s: float = RETRY_S,
        wait_s: float = WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write_many = write_many
        self._max_batch = max_batch
        self._retry_s = retry_s
        self._wait_s = wait_s
        self._clock = clock
        self._pending: list[_Queued] = []
        #: Batches that met a busy lock, waiting to try again: (first tried at, batch).
        self._waiting: list[tuple[float, list[_Queued]]] = []
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
            self._write(live[start : start + self._max_batch], self._clock())

    def _retry(self) -> None:
        waiting, self._waiting = self._waiting, []
        for since, batch in waiting:
            self._write([entry for entry in batch if not entry[2].cancelled()], since)

    def _write(self, batch: list[_Queued], since: float) -> None:
        if not batch:
            return
        try:
            outcomes = self._write_many([(new, limit) for new, limit, _ in batch])
        except WouldWait:
            if self._clock() - since < self._wait_s:
                if not self._waiting:
                    asyncio.get_running_loop().call_later(self._retry_s, self._retry)
                self._waiting.append((since, batch))
                return
            outcomes = [None] * len(batch)  # waited enough: the thread path waits on
        except Exception as exc:  # each start of the batch raises it, as it would alone
            for _new, _limit, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self._settle(batch, outcomes)

    def _settle(self, batch: list[_Queued], outcomes: list[Outcome]) -> None:
        self.flushes += 1
        self.written += sum(isinstance(outcome, PlaySession) for outcome in outcomes)
        for (_new, _limit, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)
