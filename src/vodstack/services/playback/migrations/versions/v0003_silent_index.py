"""The open sessions by last heartbeat, for the sweep (a partial index: only open sessions).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import create_index_if_missing

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # if missing: a database made by `create_all` of this release already has it.
    create_index_if_missing(
        "ix_play_sessions_silent",
        "play_sessions",
        ["last_heartbeat_at"],
        unique=False,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_play_sessions_silent", table_name="play_sessions")
