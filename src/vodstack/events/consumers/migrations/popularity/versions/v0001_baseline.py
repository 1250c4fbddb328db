"""Baseline: the schema `SqliteSink` and `PopularitySink` made with raw SQL before migrations
(tables created only when missing, so a previous release's popularity.sqlite keeps its rows;
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
        "plays",
        sa.Column("title_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("region", sa.Text(), nullable=False),
        sa.Column("hour", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("title_id", "region", "hour"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("plays")
    op.drop_table("replays")
    op.drop_table("applied")
