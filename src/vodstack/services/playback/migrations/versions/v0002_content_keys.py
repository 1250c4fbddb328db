"""Content keys of encrypted asset versions (issue 20, point 5).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.db import UTCDateTime
from vodstack.core.migrations import create_table_if_missing

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # if missing: a database made by `create_all` of this release already has it.
    create_table_if_missing(
        "content_keys",
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("asset_version", sa.String(length=128), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
        sa.UniqueConstraint("asset_version", name="uq_content_keys_asset_version"),
    )


def downgrade() -> None:
    op.drop_table("content_keys")
