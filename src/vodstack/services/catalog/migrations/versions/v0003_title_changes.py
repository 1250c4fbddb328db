"""The titles' change feed (`title_changes`, services/catalog/changes.py): one row per title
changed by a committed write, read by the services that cache titles (playback).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import create_table_if_missing

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table_if_missing(
        "title_changes",
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("title_changes")
