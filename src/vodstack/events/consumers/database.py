"""The idempotent sink every consumer builds on, on SQLAlchemy Core: any engine (a SQLite file
by default, PostgreSQL by URL). It replaced the raw-`sqlite3` `SqliteSink` of earlier releases,
whose files the sinks' baseline migrations adopt.

Effects and the applied event ids are written in one transaction, so a replayed event (after a
crash before the log commit) is recognised and skipped and a crash mid-batch leaves no
half-applied batch. A block costs a handful of statements whatever its size: one lookup of the
ids already applied (one array parameter), one `executemany` of the new ids, the sink's
`effects`. The tables (`sink_tables`) belong to the service's metadata and migrations.
"""

from __future__ import annotations

import json
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    delete,
    update,
)

from vodstack.contracts.events import AnyEvent
from vodstack.core import migrations
from vodstack.core.db import make_engine
from vodstack.core.provisioning import ensure_database


def sink_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The `applied` ids and the `replays` counter, as `SqliteSink` made them."""
    applied = Table(
        "applied",
        metadata,
        Column("id", Text, primary_key=True),
        Column("at", Float, nullable=False),
        Index("applied_age", "at"),
        sqlite_with_rowid=False,
    )
    replays = Table("replays", metadata, Column("n", Integer, nullable=False))
    return applied, replays


def migrated_engine(url: str, service: str, directory: Path, *, pool_size: int = 4) -> Engine:
    """An engine on `url` (its PostgreSQL database or schema created when missing) whose
    schema `service`'s migrations in `directory` brought to their newest revision."""
    ensure_database(url)
    engine = make_engine(url, pool_size=pool_size)
    migrations.upgrade(engine, service, directory)
    return engine


def driver_sql(sql: str, dialect: str) -> str:
    """`sql` with its `:name` parameters in the driver's own style, for `exec_driver_sql`.

    The write path runs its statements as the driver's SQL: SQLAlchemy's per-row parameter
    processing of a compiled statement costs more than SQLite's own work for a block.
    sqlite3 takes `:name` with dicts; psycopg takes `%(name)s`."""
    if dialect == "sqlite":
        return sql
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)


def driver_rows(engine: Engine, statement: str, args: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows of a read `statement` already in the driver's style (`driver_sql`), on a pooled
    connection's own cursor: a one-row lookup per request, where SQLAlchemy's Connection and
    result wrapping would double its cost."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(statement, args)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()  # back to the pool (rolled back there)


class Reader:
    """Per-request reads (statements in the driver's style) on `engine`: on a SQLite file, each
    thread keeps a connection of its own (a pool checkout and its reset on return cost as much
    as a one-row lookup; WAL lets them read beside the writer, and every statement sees the
    latest commit); on a server, pooled connections (`driver_rows`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._per_thread = engine.dialect.name == "sqlite"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []

    def rows(self, statement: str, args: dict[str, Any]) -> list[tuple[Any, ...]]:
        if not self._per_thread:
            return driver_rows(self._engine, statement, args)
        connection: Any = getattr(self._local, "connection", None)
        if connection is None:
            pooled = self._engine.raw_connection()  # made (and tuned) by the engine
            pooled.detach()  # now this thread's, outside the pool
            connection = self._local.connection = pooled.dbapi_connection
            with self._lock:
                self._opened.append(connection)
        cursor = connection.cursor()
        cursor.execute(statement, args)
        return [tuple(row) for row in cursor.fetchall()]

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
        self._local = threading.local()


def positional_sql(sql: str, dialect: str) -> str:
    """`sql` with its `:name` parameters as the driver's positional markers (`?` on sqlite3,
    `%s` on psycopg), for rows passed as tuples in the order the names appear.

    A sink's block of effects binds a thousand rows: the drivers bind a tuple by position
    markedly faster than a dict by name (telemetry's `executemany`, bench/sink_apply.py)."""
    marker = "?" if dialect == "sqlite" else "%s"
    return re.sub(r"(?<![:\w]):(\w+)", marker, sql)


# Which of a block's ids were applied before, in one statement whatever the block's size: the
# ids travel as one parameter (a JSON array on SQLite, a text[] on PostgreSQL).
_ALREADY = {
    "sqlite": "SELECT id FROM applied WHERE id IN (SELECT value FROM json_each(:ids))",
    "postgresql": "SELECT id FROM applied WHERE id = ANY(:ids)",
}
_RECORD = "INSERT INTO applied (id, at) VALUES (:id, :at)"


class DatabaseSink(ABC):
    """A consumer's sink on `engine`, whose schema its service's migrations made."""

    def __init__(self, engine: Engine, applied: Table, replays: Table) -> None:
        self.engine = engine
        self._applied = applied
        self._replays = replays
        self._dialect = engine.dialect.name
        self._already = driver_sql(_ALREADY[self._dialect], self._dialect)
        self._record = positional_sql(_RECORD, self._dialect)
        # One writer at a time per sink (the consumer's, or a reshard's copy), on a connection
        # kept for writing: a pool checkout and return per block costs as much as a small
        # block's statements. Invalidated (a server restart), it reconnects on next use.
        self._lock = threading.Lock()
        self._writer: Connection | None = None

    def writing(self) -> Connection:
        """The write connection (call holding the lock, and begin a transaction on it)."""
        if self._writer is None:
            self._writer = self.engine.connect()
        return self._writer

    def apply(self, events: Sequence[AnyEvent]) -> int:
        now = time.time()
        with self._lock, self.writing().begin():
            conn = self.writing()
            fresh = self._fresh(conn, events)
            if fresh:
                conn.exec_driver_sql(self._record, [(key, now) for key in fresh])
                self.effects(conn, list(fresh.values()))
            if len(events) > len(fresh):
                replayed = len(events) - len(fresh)
                conn.execute(update(self._replays).values(n=self._replays.c.n + replayed))
        return len(fresh)

    def _fresh(self, conn: Connection, events: Sequence[AnyEvent]) -> dict[str, AnyEvent]:
        """The events whose ids were never applied, by id, in order (the first of repeats)."""
        keyed: dict[str, AnyEvent] = {}
        for event in events:
            keyed.setdefault(f"{event.profile_id}:{event.event_id}", event)
        ids: object = json.dumps(list(keyed)) if self._dialect == "sqlite" else list(keyed)
        already: list[str] = list(conn.exec_driver_sql(self._already, {"ids": ids}).scalars())
        for key in already:
            del keyed[key]
        return keyed

    @abstractmethod
    def effects(self, conn: Connection, events: Sequence[AnyEvent]) -> None:
        """Apply new events (inside the sink's transaction)."""

    def forget_applied(self, older_than: float) -> int:
        """Drop applied ids recorded before `older_than` (epoch seconds). Safe once the log no
        longer retains their records: nothing can replay them then."""
        with self._lock, self.writing().begin():
            old = delete(self._applied).where(self._applied.c.at < older_than)
            gone = self.writing().execute(old)
            return int(gone.rowcount)

    def replays(self) -> int:
        """Events delivered again and skipped (duplicates absorbed) since the sink was created."""
        with self.engine.connect() as conn:
            return int(conn.execute(self._replays.select()).scalar_one())

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self.engine.dispose()


def create_sink_tables_if_missing() -> None:
    """A baseline revision's share for `sink_tables`: as `SqliteSink` made them with raw SQL
    before migrations, created only when missing (a previous release's file keeps its rows)."""
    import sqlalchemy as sa
    from alembic import op

    from vodstack.core.migrations import create_index_if_missing, create_table_if_missing

    create_table_if_missing(
        "applied",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )
    create_index_if_missing("applied_age", "applied", ["at"])
    create_table_if_missing("replays", sa.Column("n", sa.Integer(), nullable=False))
    # The counter is one row, made once (an adopted file keeps its count).
    op.execute("INSERT INTO replays (n) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM replays)")
