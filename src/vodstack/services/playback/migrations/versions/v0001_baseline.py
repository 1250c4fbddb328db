"""Baseline: the schema `create_all` made before migrations (tables and indexes created only
when missing, so a database of that release keeps its rows; core/migrations.py).

Revision ID: 0001
Revises: -
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.db import UTCDateTime
from vodstack.core.migrations import create_index_if_missing, create_table_if_missing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table_if_missing(
        "account_locks",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("touched_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id"),
    )
    create_table_if_missing(
        "play_logins",
        sa.Column("play_session_id", sa.String(length=64), nullable=False),
        sa.Column("login_ref", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("play_session_id"),
    )
    create_index_if_missing("ix_play_logins_login_ref", "play_logins", ["login_ref"], unique=False)

    create_table_if_missing(
        "play_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("asset_version", sa.String(length=128), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=True),
        sa.Column("max_height", sa.Integer(), nullable=False),
        sa.Column("edges", sa.JSON(), nullable=False),
        sa.Column("token_expires_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("position_s", sa.Float(), nullable=False),
        sa.Column("rendition", sa.String(length=64), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column(
            "end_reason",
            sa.Enum(
                "stopped",
                "completed",
                "timed_out",
                name="endreason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    create_index_if_missing(
        "ix_play_sessions_account_open", "play_sessions", ["account_id", "ended_at"], unique=False
    )

    create_table_if_missing(
        "revocations",
        sa.Column("play_session_id", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=False),
        sa.Column("token_expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("play_session_id"),
    )
    create_index_if_missing(
        "ix_revocations_revoked_at", "revocations", ["revoked_at"], unique=False
    )
    create_index_if_missing(
        "ix_revocations_token_expires_at", "revocations", ["token_expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_table("revocations")
    op.drop_table("play_sessions")
    op.drop_table("play_logins")
    op.drop_table("account_locks")
