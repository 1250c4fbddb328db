"""Baseline: the schema `SqliteSink` and `WatchedSink` made with raw SQL before migrations
(tables created only when missing, so a previous release's watched.sqlite keeps its rows;
core/migrations.py).

Revision ID: 0001
Revises: -
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import create_table_if_missing
from vodstack.events.consumers.database import create_sink_tables_if_missing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_sink_tables_if_missing()
    create_table_if_missing(
        "watched",
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position_s", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("region", sa.Text(), nullable=True),
        sa.Column("first_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", "title_id"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("watched")
    op.drop_table("replays")
    op.drop_table("applied")
