"""SQLAlchemy engines: a SQLite file per service by default, PostgreSQL by URL."""

from __future__ import annotations

import logging
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, TypeDecorator, create_engine, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.sql.functions import FunctionElement

log = logging.getLogger(__name__)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite file URL; None for other databases and in-memory SQLite."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and ":memory:" not in url:
        return Path(url[len(prefix) :])
    return None


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside one writer; busy_timeout turns lock contention into waiting
    # instead of "database is locked" errors; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url`; SQLite files get their directory created and sane pragmas.

    `pool_size` is the connections kept open to a server (up to twice as many more on demand):
    a service with many engines (history's shards) keeps fewer per engine."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=2 * pool_size)


class SqliteDataVersion:
    """A number that changes whenever any connection, of any process, commits to a SQLite file.

    `PRAGMA data_version` on a connection of its own: SQLite bumps it for commits by every other
    connection, so it tells a cache (core.answer_cache) that the data it answered from may have
    changed. A few microseconds per call, no table read.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        # A new connection counts from scratch: the generation keeps its numbers from ever
        # repeating one an earlier connection gave.
        self._generation = 0

    @classmethod
    def of(cls, url: str) -> SqliteDataVersion | None:
        """For a SQLite file URL; None for other databases (which have no such counter)."""
        path = sqlite_path(url)
        return cls(path) if path is not None else None

    def __call__(self) -> int | None:
        """The current version; None when the file cannot be read (then trust nothing)."""
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = sqlite3.connect(self._path, check_same_thread=False)
                    self._generation += 1
                row = self._conn.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                log.warning("cannot read the data version of %s", self._path, exc_info=True)
                self._conn = None
                return None
            return (self._generation << 40) + int(row[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def make_sessionmaker(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)


def create_schema(engine: Engine, base: type[DeclarativeBase]) -> None:
    """Create tables with `create_all`: only for tests that stand in for a release before the
    migrations (services migrate with `core.migrations.upgrade`)."""
    base.metadata.create_all(engine)


class nocase(FunctionElement[str]):
    """A string column ordered case-insensitively: `COLLATE NOCASE` on SQLite (which its
    indexes can serve), `lower()` on other databases (which have no NOCASE collation)."""

    inherit_cache = True
    name = "nocase"


@compiles(nocase)
def _nocase_default(element: nocase, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(nocase, "sqlite")
def _nocase_sqlite(element: nocase, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.clauses, **kw)} COLLATE NOCASE"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on SQLite (which drops tzinfo) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class DatabaseHealth:
    """The engine a service's lifespan opened, so /healthz can check the database answers."""

    def __init__(self) -> None:
        self.engine: Engine | None = None

    def healthy(self) -> bool:
        if self.engine is None:
            return False
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            log.warning("database health check failed", exc_info=True)
            return False
        return True
