"""Baseline: the store `RecsStore` made with raw SQL before migrations (tables created only when
missing, so a previous release's rows.sqlite keeps its rows; core/migrations.py).

Revision ID: 0001
Revises: -
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import create_table_if_missing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table_if_missing(
        "recommended",
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("titles", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("profile_id"),
    )
    create_table_if_missing(
        "neighbours",
        sa.Column("title_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("titles", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("title_id"),
    )
    create_table_if_missing(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("profiles", sa.Integer(), nullable=False),
        sa.Column("titles", sa.Integer(), nullable=False),
        sa.Column("interactions", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("runs")
    op.drop_table("neighbours")
    op.drop_table("recommended")
