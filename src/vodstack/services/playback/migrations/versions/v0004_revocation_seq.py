"""Revocations in commit order: a sequence number per revocation and its counter row.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import (
    add_column_if_missing,
    create_index_if_missing,
    create_table_if_missing,
)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # if missing: a database made by `create_all` of this release already has them.
    add_column_if_missing("revocations", sa.Column("seq", sa.Integer(), nullable=True))
    create_index_if_missing("ix_revocations_seq", "revocations", ["seq"], unique=False)
    create_table_if_missing(
        "revocation_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("revocation_counter")
    op.drop_index("ix_revocations_seq", table_name="revocations")
    op.drop_column("revocations", "seq")
