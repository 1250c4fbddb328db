"""One history shard: a database of resume positions (a SQLite file by default, a PostgreSQL
database or schema by URL), applied like every consumer sink.

A position is replaced only by a later event (by the player's clock): a late heartbeat from a
retried batch never rewinds a resume point (`_UPSERT`). A title is watched once a stop says
`completed` or the position passes `watched_ratio` of its length.

With a replica (`replica_url`, a PostgreSQL streaming replica of this shard), the viewers' reads
(`serve`: continue watching, resume points, viewers) go there through `core/read_replica.py`:
each applied batch records the primary's WAL position for the profiles it touched, and a read of
a profile uses the replica only once it has replayed that position (else the primary). The
operators' reads (`read`: counts, a reshard's copy and verification) stay on the primary.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, update

from vodstack.contracts.events import AnyEvent, BaseEvent, HeartbeatEvent, PlayStartEvent, StopEvent
from vodstack.core import migrations
from vodstack.core.db import make_engine, make_sessionmaker
from vodstack.core.provisioning import ensure_database
from vodstack.core.read_replica import PrimaryReads, Reads, ReplicaReads
from vodstack.events.consumers.database import DatabaseSink, driver_rows, driver_sql
from vodstack.services.history.models import COLUMNS, applied, positions, replays

SERVICE = "history"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_POSITION_EVENTS = (HeartbeatEvent, PlayStartEvent, StopEvent)
# A shard's connections: the consumer, a reshard's copy, the read threads. Several shards (two
# generations during a reshard) share the server's connection budget.
_POOL_SIZE = 4


class HistoryShard(DatabaseSink):
    def __init__(
        self,
        url: str,
        watched_ratio: float,
        *,
        replica_url: str | None = None,
        replica_wait_s: float = 0.5,
    ) -> None:
        ensure_database(url)
        engine = make_engine(url, pool_size=_POOL_SIZE)
        migrations.upgrade(engine, SERVICE, MIGRATIONS)
        super().__init__(engine, applied, replays)
        self.url = url
        self._watched_ratio = watched_ratio
        self._statements: dict[str, str] = {}  # the read queries, in the driver's style
        self._upsert = driver_sql(_UPSERT.format(greatest=_GREATEST[self._dialect]), self._dialect)
        self.replica: Engine | None = None
        self._reads: Reads = PrimaryReads(make_sessionmaker(engine))
        if replica_url is not None:
            if self._dialect != "postgresql":
                raise ValueError(
                    f"a history replica needs the shards on PostgreSQL; {url} is {self._dialect}"
                )
            self.replica = make_engine(replica_url, pool_size=_POOL_SIZE)
            self._reads = ReplicaReads(
                SERVICE,
                make_sessionmaker(engine),
                make_sessionmaker(self.replica),
                wait_s=replica_wait_s,
            )
            # The migrations may just have made the tables: no read on the replica before it
            # has them.
            self._reads.wrote()

    def apply(self, events: Sequence[AnyEvent]) -> int:
        fresh = super().apply(events)
        if fresh:
            # Committed: these profiles' next reads must see it (on the replica once replayed).
            self._reads.wrote({e.profile_id for e in events if e.profile_id is not None})
        return fresh

    def merge_rows(self, rows: Sequence[Sequence[object]]) -> None:
        """Merge copied rows in one transaction (a reshard's copy)."""
        merged = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
        with self._lock, self.writing().begin():
            self.writing().exec_driver_sql(self._upsert, merged)
        self._reads.wrote()  # rows of any profile: every read waits for them

    def serve(
        self, sql: str, args: dict[str, Any], profile_id: int | None = None
    ) -> list[tuple[Any, ...]]:
        """A viewer-facing read (like `read`): on the replica when there is one and it has
        replayed `profile_id`'s last write (None: only writes of no particular profile, a
        migration or a reshard's copy), else on the primary."""
        statement = self._statement(sql)
        replica = self.replica
        if replica is None:
            return driver_rows(self.engine, statement, args)
        return self._reads.run(
            lambda on_replica: driver_rows(replica if on_replica else self.engine, statement, args),
            profile_id,
        )

    def page(self, after: tuple[int, int], limit: int) -> list[tuple[Any, ...]]:
        """Rows after the key `after` (profile, title), in key order (keyset pagination)."""
        return self.read(_PAGE, {"profile": after[0], "title": after[1], "limit": limit})

    def read(self, sql: str, args: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a query written with `:name` parameters, run as the driver's own SQL, on
        the primary. The driver's cursor on a pooled connection (`driver_rows`): a
        continue-watching read is a 20-row query, where SQLAlchemy's Connection and result
        wrapping would double its cost."""
        return driver_rows(self.engine, self._statement(sql), args or {})

    def _statement(self, sql: str) -> str:
        statement = self._statements.get(sql)
        if statement is None:
            statement = self._statements[sql] = driver_sql(sql, self._dialect)
        return statement

    def close(self) -> None:
        super().close()
        if self.replica is not None:
            self.replica.dispose()

    def reset(self) -> None:
        """Empty the shard (a new generation left behind by an abandoned reshard)."""
        with self._lock, self.writing().begin():
            conn = self.writing()
            conn.execute(delete(positions))
            conn.execute(delete(applied))
            conn.execute(update(replays).values(n=0))
        self._reads.wrote()

    def effects(self, conn: Connection, events: Sequence[AnyEvent]) -> None:
        rows = [self._row(e) for e in events if isinstance(e, _POSITION_EVENTS)]
        if rows:
            conn.exec_driver_sql(self._upsert, rows)

    def _row(self, event: BaseEvent) -> dict[str, object]:
        duration = event.duration_s
        watched = (isinstance(event, StopEvent) and event.completed) or (
            duration is not None and event.position_s >= self._watched_ratio * duration
        )
        return {
            "profile_id": event.profile_id,
            "title_id": event.title_id,
            "position_s": event.position_s,
            "duration_s": duration,
            "watched": int(watched),
            "updated_at": event.at.timestamp(),
        }


# Merge a position row into the stored one: the later (`updated_at`, then the larger position on
# a tie) wins the position, the watched flag and the known length only grow.
#
# The merge is commutative, associative and idempotent, so the same rows give the same result
# in any order and any number of times: replays change nothing, and a reshard's copy and its
# dual writes can interleave freely (services/history/reshard.py).
#
# Plain SQL both engines share but for the two-argument maximum (SQLite's scalar MAX is
# PostgreSQL's GREATEST; GREATEST ignores NULLs where MAX returns NULL, the COALESCE makes them
# agree). The target's columns are qualified: PostgreSQL finds them ambiguous otherwise.
_PAGE = (
    f"SELECT {', '.join(COLUMNS)} FROM positions WHERE (profile_id, title_id) > (:profile, :title) "
    "ORDER BY profile_id, title_id LIMIT :limit"
)
_GREATEST = {"sqlite": "MAX", "postgresql": "GREATEST"}
_UPSERT = (
    f"INSERT INTO positions ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(':' + column for column in COLUMNS)}) "
    "ON CONFLICT (profile_id, title_id) DO UPDATE SET position_s = CASE WHEN "
    "(excluded.updated_at, excluded.position_s) > (positions.updated_at, positions.position_s) "
    "THEN excluded.position_s ELSE positions.position_s END, "
    "duration_s = COALESCE({greatest}(excluded.duration_s, positions.duration_s), "
    "excluded.duration_s, positions.duration_s), "
    "watched = {greatest}(positions.watched, excluded.watched), "
    "updated_at = {greatest}(positions.updated_at, excluded.updated_at)"
)
