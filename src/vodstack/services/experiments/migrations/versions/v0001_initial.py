"""The experiments service's first schema, created table by table only where missing, so a database
its first builds made with `create_all` is adopted with its rows (core/migrations.py).

Revision ID: 0001
Revises: -
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.db import UTCDateTime
from vodstack.core.migrations import create_table_if_missing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table_if_missing(
        "experiments",
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("cells", sa.JSON(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("stop_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("experiments")
