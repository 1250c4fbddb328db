"""The billing service's first schema, created table by table only where missing, so a database
its first builds made with `create_all` is adopted with its rows (core/migrations.py).

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
        "idempotency_keys",
        sa.Column("key", sa.String(length=240), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    create_table_if_missing(
        "subscriptions",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column(
            "plan",
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
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "past_due",
                "cancelled",
                name="subscriptionstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("credit_cents", sa.Integer(), nullable=False),
        sa.Column("payment_method", sa.String(length=64), nullable=False),
        sa.Column("past_due_since", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("account_id"),
    )
    create_table_if_missing(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "first",
                "renewal",
                "proration",
                name="invoicekind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "plan",
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
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "paid",
                "uncollectible",
                "void",
                name="invoicestatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("period_end", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["subscriptions.account_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    create_index_if_missing("ix_invoices_account", "invoices", ["account_id", "id"], unique=False)
    create_index_if_missing(
        "ix_invoices_due", "invoices", ["status", "next_attempt_at"], unique=False
    )

    create_table_if_missing(
        "payment_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "succeeded",
                "declined",
                "timed_out",
                name="attemptoutcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    create_index_if_missing(
        "ix_attempts_account", "payment_attempts", ["account_id", "id"], unique=False
    )


def downgrade() -> None:
    with op.batch_alter_table("payment_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_attempts_account")

    op.drop_table("payment_attempts")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_due")
        batch_op.drop_index("ix_invoices_account")

    op.drop_table("invoices")
    op.drop_table("subscriptions")
    op.drop_table("idempotency_keys")
