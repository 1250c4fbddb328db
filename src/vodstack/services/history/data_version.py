"""The history shards' data version: what lets the answer cache replay continue watching.

Continue watching changes with every heartbeat the `history` consumer applies, and any instance
of the service may apply it (the consumer group shares the log's partitions), so a per-instance
invalidation cannot tell this instance's answers that they are stale. SQLite can: each shard's
`PRAGMA data_version` moves on every commit to its file, by any process on the host
(core.db.SqliteDataVersion). The version here moves when any shard's does, or when a reshard's
cut-over swaps the generation the reads go to.

Shards on PostgreSQL (a shard URL template, read replicas) have no such counter: the version is
None and every read goes to the route, which keeps its look-aside cache (its TTL and per-profile
invalidation, docs/databases.md).
"""

from __future__ import annotations

import threading

from vodstack.core.db import SqliteDataVersion
from vodstack.services.history.repository import Generation


class ShardsVersion:
    """A number that changes whenever any shard of the generation being read is written."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers: dict[str, SqliteDataVersion | None] = {}
        self._seen: tuple[int, ...] | None = None
        self._version = 0

    def of(self, generation: Generation) -> int | None:
        """The version for reads from `generation`; None: cannot tell (do not replay)."""
        parts = [generation.layout.generation]
        for shard in generation.shards.values():
            reader = self._reader(shard.url)
            number = reader() if reader is not None else None
            if number is None:
                return None
            parts.append(number)
        seen = tuple(parts)
        with self._lock:
            # A counter of its own, not a sum of the parts: a number never repeats, whatever a
            # cut-over does to the shard set.
            if seen != self._seen:
                self._seen = seen
                self._version += 1
            return self._version

    def _reader(self, url: str) -> SqliteDataVersion | None:
        with self._lock:
            if url not in self._readers:
                self._readers[url] = SqliteDataVersion.of(url)
            return self._readers[url]

    def close(self) -> None:
        with self._lock:
            for reader in self._readers.values():
                if reader is not None:
                    reader.close()
            self._readers.clear()
