"""Creating the PostgreSQL database or schema a URL names, for services that make databases as
they go (a history reshard opens a new generation of shards).

A URL names a database (`.../vodstack_history_g1_s3`, needs CREATEDB on the server) or a schema
in one database through libpq's `options` (`...?options=-csearch_path%3Dg1_s3`, needs only
CREATE on that database): either is created when missing. SQLite files need nothing (their
directory is made by `make_engine`).
"""

from __future__ import annotations

import re

from sqlalchemy import URL, create_engine, make_url, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*([^\s,]+)")


class ProvisioningError(RuntimeError):
    """The database or schema a URL names is missing and cannot be created."""


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database, then the schema, that `url` names, if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    _ensure_database(parsed)
    schema = search_path_schema(parsed)
    if schema is not None:
        _execute(parsed, f"CREATE SCHEMA IF NOT EXISTS {_identifier(schema)}")


def search_path_schema(url: URL) -> str | None:
    """The first schema of the search_path a URL's libpq `options` set, if any."""
    options = url.query.get("options")
    found = _SEARCH_PATH.search(options if isinstance(options, str) else "")
    return found.group(1) if found else None


def _ensure_database(url: URL) -> None:
    name = url.database or ""
    try:
        _execute(url.set(query={}), "SELECT 1")
        return
    except OperationalError as exc:
        refused = exc  # missing, or not reachable: the server's catalog tells which
    admin = url.set(database="postgres", query={})
    if _listed(admin, name):
        raise ProvisioningError(f"cannot connect to database {name!r}: {refused.orig}")
    try:
        _execute(admin, f"CREATE DATABASE {_identifier(name)}")
    except ProgrammingError as exc:
        if not _listed(admin, name):  # not a concurrent creator that got there first
            raise ProvisioningError(
                f"database {name!r} does not exist and cannot be created ({exc.orig}); create "
                "it, or grant CREATEDB, or name a schema with options=-csearch_path%3DNAME"
            ) from exc


def _listed(admin: URL, name: str) -> bool:
    engine = create_engine(admin, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            return found.first() is not None
    finally:
        engine.dispose()


def _execute(url: URL, sql: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _identifier(name: str) -> str:
    if not _NAME.match(name):
        raise ProvisioningError(
            f"{name!r} is not a plain PostgreSQL name (letters, digits, _; at most 63)"
        )
    return f'"{name}"'
