"""Throw-away PostgreSQL databases on the machine's server (127.0.0.1:5432, trust auth).

Each database is named `vodstack_test_<random>` and dropped afterwards (with FORCE: a test that
failed half-way may leave a connection open). Other helpers share the server, so nothing here
touches a database it did not create. A server that does not answer is a test *error* with the
reason, never a skip: CI has one.
"""

from __future__ import annotations

import atexit
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

HOST = "127.0.0.1"
PORT = 5432
ADMIN_DSN = f"host={HOST} port={PORT} user=postgres dbname=postgres connect_timeout=10"


def url_of(database: str, host: str = HOST, port: int = PORT) -> str:
    return f"postgresql+psycopg://postgres@{host}:{port}/{database}"


def admin_connection() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(ADMIN_DSN, autocommit=True)
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is needed at {HOST}:{PORT} (user postgres, trust auth) and does not "
            f"answer: {exc}. Start it (e.g. `service postgresql start`)."
        ) from exc


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A new, empty database; yields its SQLAlchemy URL and drops it on exit."""
    name = f"vodstack_test_{secrets.token_hex(6)}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url_of(name)
    finally:
        _drop(name)


# A database a test of one service used, emptied and kept for the next test of that service.
# Creating and dropping a database per test (CREATE, the service's migrations on start, DROP
# WITH FORCE) cost seconds per test on a loaded machine, over some 300 engine-parametrized
# tests; emptying one costs a few milliseconds. The schema stays at the service's head, so a
# test that needs a fresh or older schema (the migration tests) uses `throwaway_database`.
_free: dict[str, list[str]] = {}
_pooled: list[str] = []


@contextmanager
def pooled_database(service: str) -> Iterator[str]:
    """A database for one test of `service`: empty (every table truncated, the migrations'
    version table kept) and at whatever schema the service's migrations left in it."""
    free = _free.setdefault(service, [])
    name = free.pop() if free else _create_pooled()
    try:
        yield url_of(name)
    finally:
        if _emptied(name):
            free.append(name)
        else:
            _pooled.remove(name)
            _drop(name)


def _create_pooled() -> str:
    name = f"vodstack_test_{secrets.token_hex(6)}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    if not _pooled:
        atexit.register(_drop_pooled)
    _pooled.append(name)
    return name


def _emptied(name: str) -> bool:
    """Truncate every table but the version tables; False when that cannot be done promptly
    (a connection the test left inside a transaction holds a lock): the caller drops it."""
    try:
        with psycopg.connect(
            f"host={HOST} port={PORT} user=postgres dbname={name} connect_timeout=10",
            autocommit=True,
        ) as connection:
            connection.execute("SET lock_timeout = '2s'")
            rows = connection.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
                "AND tablename NOT LIKE 'alembic_version%'"
            ).fetchall()
            if rows:
                tables = ", ".join(str(row[0]) for row in rows)
                connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    except psycopg.Error:
        return False
    return True


def _drop(name: str) -> None:
    with admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _drop_pooled() -> None:
    for name in list(_pooled):
        _drop(name)
    _pooled.clear()
