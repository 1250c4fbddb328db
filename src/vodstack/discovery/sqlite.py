"""The embedded registry: one SQLite file under `data_dir/run`, shared by every process.

The supervisor writes (register, renew, deregister, evict); every service process reads. WAL
lets those reads run beside the one writer, `busy_timeout` queues writers, and each call is its
own autocommitted statement, so no transaction ever holds the file between calls.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from vodstack.discovery.registry import Clock, Instance, Lease, Registry, RegistryUnavailable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    service TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    url TEXT NOT NULL,
    region TEXT,
    renewed_at REAL NOT NULL,
    PRIMARY KEY (service, instance_id)
)
"""


class SqliteRegistry(Registry):
    def __init__(self, path: Path, lease_s: float, clock: Clock = time.monotonic) -> None:
        super().__init__(lease_s, clock)
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=2000")
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise RegistryUnavailable(f"cannot open the registry at {path}: {exc}") from exc

    def _run(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._db.execute(sql, params)
            except sqlite3.Error as exc:
                raise RegistryUnavailable(f"registry {self.path}: {exc}") from exc

    def register(self, instance: Instance) -> None:
        self._run(
            "INSERT OR REPLACE INTO instances VALUES (?, ?, ?, ?, ?)",
            (instance.service, instance.instance_id, instance.url, instance.region, self.clock()),
        )

    def renew(self, service: str, instance_id: str) -> bool:
        cursor = self._run(
            "UPDATE instances SET renewed_at = ? WHERE service = ? AND instance_id = ?",
            (self.clock(), service, instance_id),
        )
        return cursor.rowcount > 0

    def deregister(self, service: str, instance_id: str) -> None:
        self._run(
            "DELETE FROM instances WHERE service = ? AND instance_id = ?", (service, instance_id)
        )

    def leases(self) -> list[Lease]:
        rows = self._run(
            "SELECT service, instance_id, url, region, renewed_at FROM instances "
            "ORDER BY service, instance_id"
        ).fetchall()
        return [Lease(Instance(row[0], row[1], row[2], row[3]), row[4]) for row in rows]

    def evict(self) -> list[Instance]:
        gone = [lease.instance for lease in self.leases() if not self.alive(lease)]
        for instance in gone:
            self.deregister(instance.service, instance.instance_id)
        return gone

    def close(self) -> None:
        with self._lock:
            self._db.close()
