"""Alembic migrations, one environment per service, run on start instead of `create_all`.

Each service with tables has a `migrations/` directory (env.py + versions/) next to its models
and keeps its revisions in a version table of its own (`alembic_version_<service>`), so services
may share one PostgreSQL database without reading each other's history.

`upgrade(engine, service, directory)` brings a database to the newest revision. It is what
every process that opens a service's database calls; concurrent callers (scaled instances,
pipeline workers) are serialized by a lock (a PostgreSQL advisory lock, or a lock file beside a
SQLite file), so only the first runs DDL and the others find the database at head.

The first revision of every service is a *baseline*: the schema the release before migrations
created with `create_all`, written with `create_table_if_missing`/`create_index_if_missing`.
An empty database gets every table; a database a previous release made with `create_all` (no
version table yet) keeps its rows and gets only what it lacked, then is recorded at the
baseline. Later revisions are ordinary Alembic operations; on SQLite they run in batch mode
(`render_as_batch`), which rebuilds a table for the ALTERs SQLite does not have.
"""

from __future__ import annotations

import fcntl
import logging
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command, op
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, Engine, MetaData, inspect, text
from sqlalchemy.schema import SchemaItem

from vodstack.core.db import sqlite_path

log = logging.getLogger(__name__)


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


def config_for(service: str, directory: Path) -> Config:
    """Alembic's configuration for `service` (its env.py reads the connection from
    `config.attributes["connection"]`, which the caller sets)."""
    config = Config()
    config.set_main_option("script_location", str(directory))
    config.attributes["service"] = service
    return config


@contextmanager
def _migration_lock(engine: Engine, service: str) -> Iterator[Connection]:
    """A connection that alone migrates `service`'s database until the block ends."""
    path = sqlite_path(str(engine.url))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.with_name(path.name + ".migrate.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with engine.connect() as connection:
                    yield connection
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            key = zlib.crc32(version_table(service).encode())
            # Session-level: held across the migrations' own transactions, released on exit.
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield connection
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
        else:
            yield connection


def upgrade(engine: Engine, service: str, directory: Path, revision: str = "head") -> None:
    """Migrate `service`'s database to `revision` (idempotent; cheap when already there)."""
    with _migration_lock(engine, service) as connection:
        config = config_for(service, directory)
        config.attributes["connection"] = connection
        if current_revision(connection, service) == _head(config) and revision == "head":
            return
        command.upgrade(config, revision)
        connection.commit()
        log.info("%s database at revision %s", service, current_revision(connection, service))


def _head(config: Config) -> str | None:
    return ScriptDirectory.from_config(config).get_current_head()


def head_revision(service: str, directory: Path) -> str | None:
    return _head(config_for(service, directory))


def current_revision(connection: Connection, service: str) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": version_table(service)})
    return context.get_current_revision()


def schema_drift(connection: Connection, metadata: MetaData) -> list[Any]:
    """What differs between the database and `metadata` (Alembic autogenerate's comparison);
    empty when the migrations build exactly the models' schema."""
    context = MigrationContext.configure(
        connection,
        opts={"include_name": known_tables(metadata), "compare_type": True},
    )
    return list(compare_metadata(context, metadata))


def known_tables(metadata: MetaData) -> Any:
    """An autogenerate `include_name` hook that ignores tables the models do not declare.

    A service's database may hold tables it does not own through the models: the FTS5 index
    and its shadow tables, the PostgreSQL search table, a retired table kept for old releases
    (playback's `bookmarks`), other services' version tables. None of them is to be dropped.
    """

    def include(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "table":
            return name in metadata.tables
        return True

    return include


def run_env(metadata: MetaData) -> None:
    """The body of every service's env.py: migrate on the connection `upgrade` handed over."""
    context: EnvironmentContext = _environment()
    connection: Connection = context.config.attributes["connection"]
    service: str = context.config.attributes["service"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table(service),
        # SQLite has almost no ALTER TABLE: batch mode recreates the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=known_tables(metadata),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _environment() -> EnvironmentContext:
    from alembic import context

    return context  # type: ignore[return-value]


# -- the baseline's operations -------------------------------------------------------------


def create_table_if_missing(name: str, *columns: SchemaItem, **kw: Any) -> None:
    """`op.create_table` unless a `create_all` of an earlier release already made the table."""
    if not inspect(op.get_bind()).has_table(name):
        op.create_table(name, *columns, **kw)


def create_index_if_missing(name: str, table: str, columns: Sequence[str], **kw: Any) -> None:
    """`op.create_index` unless the table already has an index of that name."""
    existing = {index["name"] for index in inspect(op.get_bind()).get_indexes(table)}
    if name not in existing:
        op.create_index(name, table, list(columns), **kw)


def add_column_if_missing(table: str, column: Column[Any]) -> None:
    """`op.add_column` unless a `create_all` of this release already made the column."""
    existing = {info["name"] for info in inspect(op.get_bind()).get_columns(table)}
    if column.name not in existing:
        op.add_column(table, column)
