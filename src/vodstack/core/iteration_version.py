"""The data's version read once per event-loop iteration instead of once per request.

Every cached read asks for the data's version first (core.answer_store), and on SQLite that is
`PRAGMA data_version`: a statement, a lock on the file's shared memory and a few system calls,
3-8 µs (history's continue watching reads one per shard, four). At 32 connections a service
answers many requests per loop iteration, and that one call was the main part of what the
replayed reads paid above the events lag (which has no version): 58-75 µs of CPU per request
against its 41 (docs/benchmarks.md, issue 23).

Why reading it once per iteration never replays stale data to a request that could know
better. The version is read at the first lookup of an iteration (time T) and dropped by a
callback scheduled then, which runs at the start of the next iteration, before any request
that arrived after T is looked up:

- A request reaches the app only as a task the server created when its bytes were read from
  the socket, and a task created after T is scheduled after that callback (the loop runs its
  callbacks in order). So every request answered with the kept version was read from its
  socket before T.
- A commit the caller knew about before sending the request (a write it made, through any
  instance or process) finished before the request was sent, so before T: the version read at
  T already has it.
- A commit during the iteration, after T, is concurrent with every request answered in it:
  answering those with the data before it is what they would have got a moment earlier.
- A write through this instance also drops the kept version at once (`forget`, called by the
  store's `changed()` before the write's answer goes out), so a caller in the same process and
  loop (an in-process client, a test) never reads past its own write either.

Off a running loop (a worker thread) the version is read every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class IterationVersion:
    """`version`, read at most once per iteration of the running event loop."""

    def __init__(self, version: Callable[[], int | None]) -> None:
        self._version = version
        # (loop, version) of the current iteration: one tuple, so a thread running another loop
        # never pairs one loop with another's number.
        self._kept: tuple[asyncio.AbstractEventLoop, int] | None = None

    def __call__(self) -> int | None:
        # None off the loop's thread (typeshed says otherwise).
        loop: asyncio.AbstractEventLoop | None = asyncio._get_running_loop()
        if loop is None:
            return self._version()
        kept = self._kept
        if kept is not None and kept[0] is loop:
            return kept[1]
        version = self._version()
        if version is not None:  # "cannot tell" is asked again, not kept
            self._kept = (loop, version)
            loop.call_soon(self.forget)
        return version

    def forget(self) -> None:
        """The next call reads the version again (a new iteration, or a write went through)."""
        self._kept = None
