"""A cache hit's body by the kernel's `sendfile`, continued from the event loop's writer callback.

`loop.sendfile` (what the data plane used when a 2 MB body did not fit the socket at once)
costs a task, futures, an `fstat`, an `lseek` and pausing and resuming the transport's reading
per call; measured under wrk that path took ~90 µs more CPU per 2 MB hit than a body sent whole.
Here the rest of the body waits for the socket to be writable with one `add_writer`, on the
connection's own duplicate descriptor (asyncio refuses a writer on a transport's), and goes
out by plain `os.sendfile` calls from the callback: no task, no future, no thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable
from enum import Enum

log = logging.getLogger(__name__)


class Outcome(Enum):
    SENT = "sent"  # the whole body is with the kernel
    PENDING = "pending"  # the rest goes when the socket is writable; `done` is called then
    FAILED = "failed"  # the file vanished or the socket broke: drop the connection


class SendfileBody:
    """Sends one file body at a time to `sock`; `done(ok)` ends a PENDING send."""

    def __init__(self, sock: socket.socket, done: Callable[[bool], None]) -> None:
        self._sock = sock
        self._done = done
        self._loop = asyncio.get_running_loop()
        self._file = -1
        self._offset = 0
        self._size = 0
        self._path = ""
        self.pending = False

    def send(self, path: str, size: int) -> Outcome:
        """As much of `path` as the socket takes now; the rest from the loop (PENDING)."""
        try:
            self._file = os.open(path, os.O_RDONLY)
        except OSError as exc:  # evicted since the lookup; the headers are out already
            log.info("hit aborted before its body: %s (%s)", path, exc)
            return Outcome.FAILED
        self._path, self._offset, self._size = path, 0, size
        outcome = self._push()
        if outcome is Outcome.PENDING:
            self.pending = True
            self._loop.add_writer(self._sock.fileno(), self._writable)
        return outcome

    def cancel(self) -> None:
        """The connection is gone: stop waiting and let go of the file."""
        if self.pending:
            self.pending = False
            self._loop.remove_writer(self._sock.fileno())
        self._close_file()

    def _push(self) -> Outcome:
        out = self._sock.fileno()
        try:
            while self._offset < self._size:
                count = os.sendfile(out, self._file, self._offset, self._size - self._offset)
                if count == 0:
                    raise OSError(f"file shorter than its {self._size} bytes")
                self._offset += count
        except BlockingIOError:
            return Outcome.PENDING
        except OSError as exc:  # the client left, or the file changed under us
            log.info("hit aborted mid-body: %s (%s)", self._path, exc)
            self._close_file()
            return Outcome.FAILED
        self._close_file()
        return Outcome.SENT

    def _writable(self) -> None:
        outcome = self._push()
        if outcome is Outcome.PENDING:
            return
        self.pending = False
        self._loop.remove_writer(self._sock.fileno())
        self._done(outcome is Outcome.SENT)

    def _close_file(self) -> None:
        if self._file >= 0:
            os.close(self._file)
            self._file = -1
