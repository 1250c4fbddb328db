"""The recs service's two databases, as SQLAlchemy Core tables (no ORM: the trainer writes a
whole run with `executemany`, the home page reads one row by primary key).

- the store (`database_urls.recs`): each profile's ranked titles, each title's neighbours (ids
  packed as int32 blobs) and the training runs;
- the watched sink (`database_urls.recs_watched`): one row per (profile, title) watched, with
  the consumer sink's applied ids and replay counter.

Each has its own migrations (migrations/store, migrations/watched) and version table, so both
may share one PostgreSQL database: their table names do not collide.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, LargeBinary, MetaData, Table, Text

from vodstack.events.consumers.database import sink_tables

store_metadata = MetaData()

recommended = Table(
    "recommended",
    store_metadata,
    Column("profile_id", Integer, primary_key=True, autoincrement=False),
    Column("titles", LargeBinary, nullable=False),
)
neighbours = Table(
    "neighbours",
    store_metadata,
    Column("title_id", Integer, primary_key=True, autoincrement=False),
    Column("titles", LargeBinary, nullable=False),
)
runs = Table(
    "runs",
    store_metadata,
    Column("id", Integer, primary_key=True),
    Column("model", Text, nullable=False),
    Column("profiles", Integer, nullable=False),
    Column("titles", Integer, nullable=False),
    Column("interactions", Integer, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("at", Text, nullable=False),  # ISO 8601, as the release before stored it
)

watched_metadata = MetaData()
applied, replays = sink_tables(watched_metadata)
watched = Table(
    "watched",
    watched_metadata,
    Column("profile_id", Integer, primary_key=True, autoincrement=False),
    Column("title_id", Integer, primary_key=True, autoincrement=False),
    Column("position_s", Float, nullable=False),
    Column("duration_s", Float),
    Column("completed", Integer, nullable=False),  # 0 or 1
    Column("region", Text),
    Column("first_at", Float, nullable=False),  # epoch seconds
    Column("last_at", Float, nullable=False),
    sqlite_with_rowid=False,
)
