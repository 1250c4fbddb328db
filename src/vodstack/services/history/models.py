"""The schema of a history shard, as SQLAlchemy Core tables (the write path is Core, not ORM:
a block of events is a few `executemany` statements).

Every shard has the same tables (and its own Alembic version table: migrations/): resume
positions keyed by (profile, title), and the consumer sink's applied ids and replay counter.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, Table

from vodstack.events.consumers.database import sink_tables

metadata = MetaData()

applied, replays = sink_tables(metadata)

positions = Table(
    "positions",
    metadata,
    Column("profile_id", Integer, primary_key=True, autoincrement=False),
    Column("title_id", Integer, primary_key=True, autoincrement=False),
    Column("position_s", Float, nullable=False),
    Column("duration_s", Float),
    Column("watched", Integer, nullable=False),  # 0 or 1, as the previous release stored it
    Column("updated_at", Float, nullable=False),  # epoch seconds, the player's clock
    Index("positions_title", "title_id"),
    sqlite_with_rowid=False,
)

COLUMNS = tuple(column.name for column in positions.columns)
