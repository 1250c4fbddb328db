"""The subscriptions' change feed (`subscription_changes`, services/billing/changes.py): one row
per account whose subscription a committed write changed, read by playback's entitlement cache.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import create_table_if_missing

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table_if_missing(
        "subscription_changes",
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("subscription_changes")
