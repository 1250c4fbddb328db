"""A SQLite connection that never waits for a lock, for writes made on the event loop.

A start's write is a local transaction of about a tenth of a millisecond; handing it to a
thread cost more than the write itself, and at 32 concurrent starts far more in wall time:
the worker thread and the event loop take turns on the GIL, and a thread that asks for it
while the loop is busy waits up to the interpreter's switch interval (5 ms) at every statement
(bench/services.py, docs/benchmarks.md). On the loop, a write must never wait: this connection
has SQLite's busy timeout at zero, so a write lock held by another connection (a heartbeat's
thread, the sweeper, another process) fails the statement at once with SQLITE_BUSY, and the
caller takes its thread path, which waits as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from vodstack.core.db import sqlite_path


class WouldWait(Exception):
    """The write needs a lock someone else holds: do it where waiting is allowed."""


class NoWaitConnection:
    """One connection of `engine`, opened on first use and used by the event loop only."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None

    @staticmethod
    def usable(engine: Engine) -> bool:
        """Only a SQLite file: a server's database would block the loop on the network, and
        in-memory SQLite gives each thread a database of its own."""
        return engine.dialect.name == "sqlite" and sqlite_path(str(engine.url)) is not None

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction on the connection; `WouldWait` if SQLite is busy (nothing written)."""
        conn = self._connection()
        try:
            with conn.begin():
                yield conn
        except OperationalError as exc:
            if _busy(exc):
                raise WouldWait from exc
            raise

    @contextmanager
    def begin_immediate(self) -> Iterator[Connection]:
        """`begin`, holding the write lock from the first statement on (`BEGIN IMMEDIATE`), for a
        transaction of several writers' statements (savepoints need a transaction begun
        explicitly: the driver begins one only before an INSERT, UPDATE or DELETE)."""
        conn = self._connection()
        try:
            with conn.begin():
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        except OperationalError as exc:
            if _busy(exc):
                raise WouldWait from exc
            raise

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            conn = self._engine.connect()
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn.commit()
            self._conn = conn
        return self._conn


def _busy(exc: OperationalError) -> bool:
    orig = exc.orig
    # The primary code is the low byte of an extended one (SQLITE_BUSY_SNAPSHOT is BUSY too).
    primary = orig.sqlite_errorcode & 0xFF if isinstance(orig, sqlite3.OperationalError) else -1
    return primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
