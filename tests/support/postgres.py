"""Throw-away PostgreSQL databases on the machine's server (127.0.0.1:5432, trust auth).

Each database is named `vodstack_test_<random>` and dropped afterwards (with FORCE: a test that
failed half-way may leave a connection open). Other helpers share the server, so nothing here
touches a database it did not create. A server that does not answer is a test *error* with the
reason, never a skip: CI has one.
"""

from __future__ import annotations

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
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
