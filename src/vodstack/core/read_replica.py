"""Where a service's reads go: its primary database, or a PostgreSQL streaming replica.

`PrimaryReads` is the default (SQLite, or PostgreSQL without a replica): every read on the
primary. `ReplicaReads` sends reads to a hot standby while keeping **read-your-writes**: after a
write commits, the service records the primary's WAL position (`pg_current_wal_lsn()`), and a
later read uses the replica only once the replica has replayed at least that far
(`pg_last_wal_replay_lsn()`). A replica that lags is polled for up to `wait_s`; past that, or
when it does not answer, the read goes to the primary. So a writer never reads an older state
than it wrote, and a replica that is down or far behind costs at most `wait_s` per read, not an
error (docs/databases.md).

The guarantee covers writes made through this process (one catalog instance); a writer served
by another instance is covered when its reads come back to the instance it wrote through.

A write may also be recorded for **keys** (history: the profiles a shard's batch touched): a read
for a key then waits only for that key's last write, so one viewer's heartbeats do not make every
other viewer's read wait for the replica. A write without keys (the catalog's, a history shard's
migration or copy) holds back every read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeVar

import psycopg
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

# A replica that is gone, seen by a read on the driver's own connection (`ReplicaReads.run`):
# SQLAlchemy's wrappers when connecting, psycopg's own when a pooled connection breaks mid-query.
_UNREACHABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)

log = logging.getLogger(__name__)

READS = Counter(
    "vodstack_db_reads_total",
    "Read sessions on a replica, or on the primary because the replica had not replayed the "
    "reader's last write in time (primary_replica_lagging) or did not answer (..._down).",
    ["service", "target"],
)


def expose(registry: CollectorRegistry) -> None:
    """Publish the read counts on a service's own registry (its /metrics; core/metrics.py gives
    each app one, and the default registry is no app's)."""
    registry.register(READS)


def parse_lsn(value: str) -> int:
    """A PostgreSQL LSN ("16/B374D848") as a number that compares like the LSN."""
    high, _, low = value.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


class Reads(Protocol):
    """Read sessions of a service, and the hook its writes call after they commit."""

    def session(self, key: Hashable | None = None) -> AbstractContextManager[Session]:
        """A session for reads (never for writes)."""

    def run(self, query: Callable[[bool], T], key: Hashable | None = None) -> T:
        """`query(on_replica)`: a read the caller runs itself (on its own connections)."""

    def wrote(self, keys: Iterable[Hashable] | None = None) -> None:
        """Called after a write committed: later reads (of `keys`; None: all) must see it."""


class PrimaryReads:
    """Every read on the primary (no replica configured)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @contextmanager
    def session(self, key: Hashable | None = None) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    def run(self, query: Callable[[bool], T], key: Hashable | None = None) -> T:
        return query(False)

    def wrote(self, keys: Iterable[Hashable] | None = None) -> None:
        pass


class ReplicaReads:
    """Reads on a streaming replica once it has replayed this process's last write."""

    def __init__(
        self,
        service: str,
        primary: sessionmaker[Session],
        replica: sessionmaker[Session],
        *,
        wait_s: float = 0.5,
        poll_s: float = 0.005,
        retry_down_s: float = 5.0,
        max_keys: int = 100_000,
    ) -> None:
        self._service = service
        self._primary = primary
        self._replica = replica
        self._wait_s = wait_s
        self._poll_s = poll_s
        self._retry_down_s = retry_down_s
        self._down_until = 0.0  # a replica that did not answer is left alone until then
        self._lock = threading.Lock()
        self._written = 0  # the primary's WAL position after our newest commit (without keys)
        # Per key, the WAL position after the newest commit that touched it; bounded by
        # `max_keys` (`_forget_replayed`).
        self._written_by: dict[Hashable, int] = {}
        self._max_keys = max_keys
        # The newest replay position the replica was seen at; -1: not checked yet, so even the
        # first read (before any write) learns whether the replica answers.
        self._replayed = -1

    def wrote(self, keys: Iterable[Hashable] | None = None) -> None:
        try:
            with self._primary() as session:
                lsn = parse_lsn(str(session.execute(text("SELECT pg_current_wal_lsn()")).scalar()))
        except SQLAlchemyError:
            # The write committed but its position is unknown: read from the primary until a
            # later write records one (an LSN no replica can reach does that).
            log.warning("cannot read the primary's WAL position", exc_info=True)
            lsn = 1 << 64
        with self._lock:
            if keys is None:
                self._written = max(self._written, lsn)
                return
            for key in keys:
                self._written_by[key] = lsn  # positions only grow: the newest is the largest
            if len(self._written_by) > self._max_keys:
                self._forget_replayed()

    def _forget_replayed(self) -> None:
        """Drop the keys the replica has replayed (holding the lock). If too many remain (a
        replica stuck far behind), fold them into the keyless position: every read then waits
        for the newest of them, which is stricter, never staler."""
        self._written_by = {k: v for k, v in self._written_by.items() if v > self._replayed}
        if len(self._written_by) > self._max_keys // 2:
            self._written = max([self._written, *self._written_by.values()])
            self._written_by.clear()

    def run(self, query: Callable[[bool], T], key: Hashable | None = None) -> T:
        """`query(True)` on the replica when it has replayed the writes `key`'s read must see,
        else `query(False)` on the primary; a replica that fails to answer (its connection
        refused or broken) is marked down and the read runs again on the primary. For callers
        that read on their own connections (history's driver-level reads)."""
        target = self._target(key)
        if target == "replica":
            try:
                result = query(True)
            except _UNREACHABLE:
                log.warning("the read replica does not answer; reading from the primary")
                self._mark_down()
                target = "primary_replica_down"
            else:
                READS.labels(self._service, target).inc()
                return result
        READS.labels(self._service, target).inc()
        return query(False)

    @contextmanager
    def session(self, key: Hashable | None = None) -> Iterator[Session]:
        target = self._target(key)
        if target == "replica":
            with self._replica() as session:
                try:
                    # Connect now (the engine pings pooled connections), so a replica that
                    # went away is noticed before the caller's queries run.
                    session.connection()
                except SQLAlchemyError:
                    log.warning("the read replica does not answer; reading from the primary")
                    self._mark_down()
                    target = "primary_replica_down"
                else:
                    READS.labels(self._service, target).inc()
                    yield session
                    return
        READS.labels(self._service, target).inc()
        with self._primary() as session:
            yield session

    def _mark_down(self) -> None:
        with self._lock:
            self._replayed = -1  # check it again before trusting it
            self._down_until = time.monotonic() + self._retry_down_s

    def _target(self, key: Hashable | None = None) -> str:
        with self._lock:
            written, replayed, down_until = self._written, self._replayed, self._down_until
            if key is not None:
                written = max(written, self._written_by.get(key, 0))
        if time.monotonic() < down_until:
            return "primary_replica_down"
        if written <= replayed:
            return "replica"
        deadline = time.monotonic() + self._wait_s
        while True:
            position = self._replay_position()
            if position is None:
                self._mark_down()
                return "primary_replica_down"
            with self._lock:
                self._replayed = max(self._replayed, position)
            if position >= written:
                return "replica"
            if time.monotonic() >= deadline:
                return "primary_replica_lagging"
            time.sleep(self._poll_s)

    def _replay_position(self) -> int | None:
        try:
            with self._replica() as session:
                value: Any = session.execute(text("SELECT pg_last_wal_replay_lsn()")).scalar()
        except SQLAlchemyError:
            log.warning("the read replica does not answer; reading from the primary")
            return None
        # NULL: not a standby (a misconfigured URL pointing at a primary) - trust nothing.
        return parse_lsn(str(value)) if value is not None else None


def replica_lag_bytes(primary: Engine, replica: Engine) -> int:
    """How far the replica's replay is behind the primary's WAL (for status and tests)."""
    with primary.connect() as p, replica.connect() as r:
        written = parse_lsn(str(p.execute(text("SELECT pg_current_wal_lsn()")).scalar()))
        replayed = parse_lsn(str(r.execute(text("SELECT pg_last_wal_replay_lsn()")).scalar()))
    return max(0, written - replayed)
