"""Baseline: the schema `SqliteSink` and `ExperimentSink` made with raw SQL before migrations
(tables created only when missing, so a previous release's activity.sqlite keeps its rows;
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
        "exposures",
        sa.Column("experiment", sa.Text(), nullable=False),
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("cell", sa.Text(), nullable=False),
        sa.Column("first_hour", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("experiment", "profile_id"),
        sqlite_with_rowid=False,
    )
    create_table_if_missing(
        "profile_hours",
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hour", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("starts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("heartbeats", sa.Integer(), server_default="0", nullable=False),
        sa.Column("stall_ms", sa.Float(), server_default="0", nullable=False),
        sa.Column("startup_ms", sa.Float(), server_default="0", nullable=False),
        sa.Column("startup_n", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("profile_id", "hour"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("profile_hours")
    op.drop_table("exposures")
    op.drop_table("replays")
    op.drop_table("applied")
