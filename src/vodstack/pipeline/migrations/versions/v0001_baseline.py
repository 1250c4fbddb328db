"""Baseline: the schema `create_all` made before migrations (tables and indexes created only
when missing, so a database of that release keeps its rows; core/migrations.py).

Revision ID: 0001
Revises: -
"""

import sqlalchemy as sa
from alembic import op

from vodstack.core.migrations import create_index_if_missing, create_table_if_missing

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_table_if_missing(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=1024), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                "cancelled",
                name="jobstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("asset_version", sa.String(length=64), nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=True),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("catalog_synced", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    create_index_if_missing("ix_jobs_state", "jobs", ["state"], unique=False)
    create_index_if_missing("ix_jobs_title_id", "jobs", ["title_id"], unique=False)

    create_table_if_missing(
        "title_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("failed_at", sa.Float(), nullable=False),
        sa.Column("synced", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    create_index_if_missing("ix_title_failures_synced", "title_failures", ["synced"], unique=False)
    create_index_if_missing(
        "ix_title_failures_title_id", "title_failures", ["title_id"], unique=False
    )

    create_table_if_missing(
        "uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "receiving",
                "complete",
                "rejected",
                "expired",
                name="uploadstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    create_index_if_missing("ix_uploads_title_id", "uploads", ["title_id"], unique=False)

    create_table_if_missing(
        "job_priorities",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id"),
    )
    create_table_if_missing(
        "publications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("title_id", sa.Integer(), nullable=False),
        sa.Column("asset_version", sa.String(length=80), nullable=False),
        sa.Column("preview", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.Float(), nullable=False),
        sa.Column("synced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    create_index_if_missing("ix_publications_job_id", "publications", ["job_id"], unique=False)
    create_index_if_missing("ix_publications_synced", "publications", ["synced"], unique=False)

    create_table_if_missing(
        "tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "probe",
                "analyze",
                "split",
                "encode",
                "discard",
                "audio",
                "concat",
                "package",
                "quality",
                "thumbs",
                "publish",
                name="taskkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("rendition", sa.String(length=32), nullable=True),
        sa.Column("chunk", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("deps", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "waiting",
                "ready",
                "running",
                "succeeded",
                "failed",
                "cancelled",
                name="taskstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("output_key", sa.String(length=1024), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.Float(), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires", sa.Float(), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "name"),
    )
    create_index_if_missing("ix_tasks_claim", "tasks", ["state", "not_before"], unique=False)
    create_index_if_missing("ix_tasks_job_id", "tasks", ["job_id"], unique=False)


def downgrade() -> None:
    op.drop_table("tasks")
    op.drop_table("publications")
    op.drop_table("job_priorities")
    op.drop_table("uploads")
    op.drop_table("title_failures")
    op.drop_table("jobs")
