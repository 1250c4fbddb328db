"""The pipeline's database: the job/task tables, shared by the controller and every worker.

Many processes write it at once (each worker claims, heartbeats and completes tasks). On SQLite
every transaction starts with BEGIN IMMEDIATE: a read-then-write transaction holds the write
lock from its first statement, so a claim or a state change never works from a stale read, and
contention turns into waiting (busy_timeout) instead of SQLITE_BUSY errors half-way through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import Settings
from vodstack.core import migrations
from vodstack.core.db import make_engine, make_sessionmaker

_BUSY_TIMEOUT_MS = 30_000


def _sqlite_manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it to the first
    # write otherwise), and wait longer than the default under many writers.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_pipeline_engine(url: str) -> Engine:
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_manual_transactions)
        event.listen(engine, "begin", _begin_immediate)
    return engine


# One revision history for the whole pipeline database (jobs and uploads tables).
MIGRATIONS = Path(__file__).parent.parent / "migrations"


def migrate(engine: Engine) -> None:
    """Bring the pipeline database to the newest schema (docs/databases.md)."""
    migrations.upgrade(engine, "pipeline", MIGRATIONS)


def open_database(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """The pipeline engine and session factory on a database at the newest schema."""
    engine = make_pipeline_engine(settings.database_url("pipeline"))
    migrate(engine)
    return engine, make_sessionmaker(engine)
