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
        "attempts",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lockouts", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    create_index_if_missing("ix_attempts_updated_at", "attempts", ["updated_at"], unique=False)

    create_table_if_missing(
        "plans",
        sa.Column(
            "code",
            sa.Enum(
                "basic",
                "standard",
                "premium",
                name="plancode",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("max_height", sa.Integer(), nullable=False),
        sa.Column("max_streams", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    create_table_if_missing(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "viewer", "admin", name="role", native_enum=False, create_constraint=True, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "plan_code",
            sa.Enum(
                "basic",
                "standard",
                "premium",
                name="plancode",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_code"],
            ["plans.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    create_table_if_missing(
        "profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("avatar_color", sa.String(length=7), nullable=False),
        sa.Column(
            "maturity",
            sa.Enum(
                "kids",
                "teen",
                "adult",
                name="maturity",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("pin_hash", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    create_index_if_missing("ix_profiles_account_id", "profiles", ["account_id"], unique=False)

    create_table_if_missing(
        "list_entries",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("profile_id", "title_id"),
    )
    create_table_if_missing(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    create_index_if_missing("ix_sessions_account_id", "sessions", ["account_id"], unique=False)
    create_index_if_missing("ix_sessions_expires_at", "sessions", ["expires_at"], unique=False)
    create_index_if_missing("ix_sessions_profile_id", "sessions", ["profile_id"], unique=False)


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("list_entries")
    op.drop_table("profiles")
    op.drop_table("accounts")
    op.drop_table("plans")
    op.drop_table("attempts")
