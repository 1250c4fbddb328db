"""One object being filled: single-flight bookkeeping and a growing file readers can follow.

The fill task writes upstream bytes into a temp file and calls `advance`; any number of
viewers (the first one included) stream from that file as it grows, so nobody waits for the
whole object and the upstream is asked once however many viewers missed at the same moment.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from enum import Enum

from vodstack.cdn.file_response import ServedFile
from vodstack.core.errors import VodstackError

READ_CHUNK = 256 * 1024


class FlightState(Enum):
    CONNECTING = "connecting"  # asking peers / origin; no headers yet
    STREAMING = "streaming"  # size known, bytes arriving in the temp file
    DONE = "done"  # complete (committed to the cache unless it did not fit)
    FAILED = "failed"


class Flight:
    """Progress of one fill, shared by every request for the same object."""

    def __init__(self, key: bytes, temp_path: str, missed_at: float | None = None) -> None:
        self.key = key
        self.temp_path = temp_path
        # When a viewer's miss started it (the admission filter's clock); None once a planned
        # fill wants the object too: a plan's objects are kept whatever the filter says.
        self.missed_at = missed_at
        self.state = FlightState.CONNECTING
        self.source = ""
        self.served: ServedFile | None = None  # headers for viewers, path = temp file
        self.committed: ServedFile | None = None
        self.error: VodstackError | None = None
        self.written = 0
        # The chunk written last and where it starts: a viewer following the fill takes it
        # from memory instead of reading back what was just written (the first viewer's first
        # byte waits on no pread).
        self._recent: tuple[int, bytes] = (0, b"")
        self._progress = asyncio.Event()

    # --- the fill task's side ------------------------------------------------------------

    def start(self, source: str, served: ServedFile) -> None:
        self.source = source
        self.served = served
        self.state = FlightState.STREAMING
        self._notify()

    def advance(self, chunk: bytes) -> None:
        """`chunk` is on disk, after everything before it."""
        self._recent = (self.written, chunk)
        self.written += len(chunk)
        self._notify()

    def finish(self, committed: ServedFile | None) -> None:
        self.committed = committed
        self.state = FlightState.DONE
        self._notify()

    def fail(self, error: VodstackError) -> None:
        self.error = error
        self.state = FlightState.FAILED
        self._notify()

    def _notify(self) -> None:
        # A fresh event per step: everyone waiting on the old one wakes exactly once.
        event, self._progress = self._progress, asyncio.Event()
        event.set()

    # --- the viewers' side ----------------------------------------------------------------

    async def ready(self) -> ServedFile:
        """Wait for the upstream's answer and its first body bytes: the object's headers, or
        its error raised. Waking at the headers alone would cost the first viewer one more
        wait (and one more loop turn) before the first byte it can send."""
        while self.state is FlightState.CONNECTING or (
            self.state is FlightState.STREAMING and not self.written
        ):
            await self._progress.wait()
        if self.served is None:
            assert self.error is not None
            raise self.error
        return self.served

    async def finished(self) -> bool:
        """Wait for the fill to end; True when it committed the object to the cache."""
        while self.state not in (FlightState.DONE, FlightState.FAILED):
            await self._progress.wait()
        return self.committed is not None

    async def _wait_beyond(self, position: int) -> None:
        while self.written <= position and self.state is FlightState.STREAMING:
            await self._progress.wait()
        if self.state is FlightState.FAILED and self.written <= position:
            assert self.error is not None
            raise self.error

    def open_reader(self) -> int:
        """A descriptor on the growing file; stays valid across the rename or unlink ending it.

        Call it right after joining the flight, with no `await` in between: the file is
        only guaranteed to be at `temp_path` until the fill task next runs.
        """
        return os.open(self.temp_path, os.O_RDONLY)

    async def read(self, fd: int, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes [start, end) of the object as they land on disk."""
        position = start
        while position < end:
            if self.written <= position:
                await self._wait_beyond(position)
            if self.state is FlightState.FAILED:
                assert self.error is not None
                raise self.error
            at, recent = self._recent
            if at == position and recent and position + len(recent) <= end:
                chunk = recent
            else:
                available = min(self.written, end) - position
                chunk = os.pread(fd, min(available, READ_CHUNK), position)
            if not chunk:
                raise OSError(f"fill file {self.temp_path} shorter than reported")
            position += len(chunk)
            yield chunk
