"""Log lines written once per event-loop iteration instead of once per line.

Every request writes its access line; one `write` system call per line on the pipe to the
supervisor (and the wake-up of its reader) cost about as much as the rest of a cached read's
Python at 32 connections. A process serving 32 connections handles several requests per
loop iteration, so the lines of one iteration go out in one write, at the end of it: the same
text, in the same order, microseconds later.

Nothing waits longer than that: a record emitted off the loop (a worker thread, start-up,
shutdown) and any WARNING or worse is written at once, after the lines before it, so an error
is on disk even if the loop then blocks or the process is killed. `flush()` (called by
`logging.shutdown` at exit) writes whatever is pending.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TextIO

# A line whose text is made when it is written: the function and its arguments.
Deferred = tuple[Callable[..., str], tuple[Any, ...]]


class LoopBatchedHandler(logging.StreamHandler[TextIO]):
    """`logging.StreamHandler` that batches INFO-and-below lines emitted on a running loop."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._pending: list[str | Deferred] = []
        self._drain_on: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:  # logging's own contract: report, never raise
            self.handleError(record)
            return
        self.emit_line(line, urgent=record.levelno >= logging.WARNING)

    def emit_line(self, line: str | Deferred, *, urgent: bool = False) -> None:
        """Write a formatted line (with its terminator) as `emit` would: batched on the loop,
        at once off it or when `urgent`. Called with the handler's lock held. A `Deferred`
        line is formatted when it is written: on the loop, once per iteration for all of its
        lines rather than inside each request (core.access_line)."""
        loop = asyncio._get_running_loop()  # None off the loop's thread: no batching there
        if loop is None or urgent:
            self._write([*self._pending, line])
            return
        self._pending.append(line)
        if self._drain_on is not loop:
            # Once per iteration; a loop that closed with a drain pending never runs it, so a
            # new loop schedules its own (the old lines go out first, in order).
            self._drain_on = loop
            loop.call_soon(self._drain)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # created in Handler.__init__
            if self._pending:
                self._write(self._pending)
            super().flush()

    def _drain(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._drain_on = None
            if self._pending:
                self._write(self._pending)

    def _write(self, lines: list[str | Deferred]) -> None:
        """Called with the handler's lock held (emit runs under it)."""
        self._pending = []
        try:
            self.stream.write("".join([x if isinstance(x, str) else x[0](*x[1]) for x in lines]))
            self.stream.flush()
        except Exception:  # a closed or full stream: reported, as StreamHandler does
            self.handleError(logging.makeLogRecord({"msg": "log lines lost"}))
