"""Values read from a database, kept in memory until the database's data version moves.

Some hot reads cannot be replayed as bytes by `core.answer_cache`, because their answer also
depends on the clock: a session check (sessions expire), an entitlement (grace periods end).
Their *data* changes only when someone writes, though, so `DataMemo` keeps what was read and
the caller still applies the clock to it on every request. Reading the rows cost a thread hop
and an ORM query per request; a memo hit is a `PRAGMA data_version` and a dictionary lookup.

Invalidation is the answer cache's (core.answer_store.MemoryAnswers): the SQLite file's
`PRAGMA data_version` moves on every commit by any connection of any process on this host, and
the memo starts over when it does. The version is read *before* the database: a write that
lands between the two leaves newer data under an older version (dropped at the next lookup),
never older data under a newer one. Without a version (PostgreSQL) nothing is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from vodstack.core.answer_store import Version

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# A bound on memory, not a policy: past it the memo starts over (the hot keys come back).
DEFAULT_MAX_ENTRIES = 100_000


class DataMemo(Generic[K, V]):
    """`get` on the event loop, `load` wherever the database is read (a worker thread)."""

    def __init__(self, version: Version | None, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._version = version
        self._max_entries = max_entries
        self._values: dict[K, V] = {}
        self._seen: int | None = None
        # `get` runs on the event loop and `load` in worker threads: a value must never be
        # stored under a version that moved between its check and its store.
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept for `key` if the data has not changed since; None = read it."""
        if self._version is None:
            return None
        now = self._version()
        with self._lock:
            if now != self._seen:
                self._values.clear()
                self._seen = now
                return None
            return self._values.get(key)

    def load(self, key: K, read: Callable[[], V]) -> V:
        """`read()`, kept for `key` under the version read before it ran."""
        before = self._version() if self._version is not None else None
        value = read()
        if before is None:
            return value
        with self._lock:
            if before != self._seen:
                # The first read since the data moved (or ever): start over under this version.
                self._values.clear()
                self._seen = before
            if len(self._values) >= self._max_entries:
                self._values.clear()
            self._values[key] = value
        return value
