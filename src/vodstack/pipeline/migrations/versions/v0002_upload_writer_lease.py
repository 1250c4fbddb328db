"""The upload writer lease (issue 15, point 1): which pipeline API instance is appending to an
upload and until when, so any instance can take the next chunk (pipeline.service.upload_lease).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import add_column_if_missing

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_column_if_missing("uploads", sa.Column("writer", sa.String(length=64), nullable=True))
    add_column_if_missing("uploads", sa.Column("writer_until", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("writer_until")
        batch.drop_column("writer")
