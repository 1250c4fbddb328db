"""Baseline: the schema `SqliteSink` and `TelemetrySink` made with raw SQL before migrations
(tables created only when missing, so a previous release's series.sqlite keeps its rows;
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
        "counters",
        sa.Column("bucket", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("region", sa.Text(), nullable=False),
        sa.Column("edge", sa.Text(), nullable=False),
        sa.Column("abr", sa.Text(), nullable=False),
        sa.Column("title_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "metric", "region", "edge", "abr", "title_id"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_table("replays")
    op.drop_table("applied")
