"""Baseline: the shard schema `SqliteSink` and `HistoryShard` made with raw SQL before
migrations (tables and indexes created only when missing, so a shard file of that release keeps
its rows; core/migrations.py).

Revision ID: 0001
Revises: -
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import create_index_if_missing, create_table_if_missing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table_if_missing(
        "applied",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )
    create_index_if_missing("applied_age", "applied", ["at"])
    create_table_if_missing("replays", sa.Column("n", sa.Integer(), nullable=False))
    # The counter is one row, made once (an adopted shard keeps its count).
    op.execute("INSERT INTO replays (n) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM replays)")
    create_table_if_missing(
        "positions",
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("title_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position_s", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("watched", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", "title_id"),
        sqlite_with_rowid=False,
    )
    create_index_if_missing("positions_title", "positions", ["title_id"])


def downgrade() -> None:
    op.drop_table("positions")
    op.drop_table("replays")
    op.drop_table("applied")
