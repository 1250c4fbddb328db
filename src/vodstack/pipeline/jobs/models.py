"""The pipeline's tables: a job and its DAG of tasks (own database: `database_url("pipeline")`).

Times are epoch seconds (floats): leases compare against `time.time()` in every process, and a
float compares the same way on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState


def _enum(kind: type[Any]) -> SqlEnum:
    return SqlEnum(
        kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
    )


class Base(DeclarativeBase):
    pass


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title_id: Mapped[int] = mapped_column(Integer, index=True)
    source_key: Mapped[str] = mapped_column(String(1024))
    state: Mapped[JobState] = mapped_column(_enum(JobState), index=True)
    asset_version: Mapped[str] = mapped_column(String(64))
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Mirrors the complete version's `PublicationRow.synced` (databases made before the
    # publications table have only this column; it stays so they keep loading).
    catalog_synced: Mapped[bool] = mapped_column(default=False)


class JobPriorityRow(Base):
    """An operator's priority for a job (higher runs sooner within each scheduling band).

    A table of its own rather than a column of `jobs`: tables are created at start-up and
    never altered (no migrations yet, docs/decisions.md), so databases made before keep
    loading; a job without a row has priority 0.
    """

    __tablename__ = "job_priorities"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)


class PublicationRow(Base):
    """The outbox: an asset version published and whether the catalog was told of it yet.

    Written in the transaction that records the PUBLISH task's success, so the catalog learns of
    every publish eventually, even if it was down at the time (service.catalog_sync).
    """

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    title_id: Mapped[int] = mapped_column(Integer)
    asset_version: Mapped[str] = mapped_column(String(80))
    preview: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[float] = mapped_column(Float)
    synced: Mapped[bool] = mapped_column(default=False, index=True)


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("job_id", "name"),
        Index("ix_tasks_claim", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))  # e.g. "encode:360p:00003"
    kind: Mapped[TaskKind] = mapped_column(_enum(TaskKind))
    rendition: Mapped[str | None] = mapped_column(String(32), nullable=True)
    chunk: Mapped[int | None] = mapped_column(Integer, nullable=True)
    priority: Mapped[int] = mapped_column(Integer)
    deps: Mapped[list[int]] = mapped_column(JSON, default=list)
    state: Mapped[TaskState] = mapped_column(_enum(TaskState))
    output_key: Mapped[str] = mapped_column(String(1024))
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far
    executions: Mapped[int] = mapped_column(Integer, default=0)  # times the work really ran
    not_before: Mapped[float] = mapped_column(Float, default=0.0)
    lease_owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_expires: Mapped[float | None] = mapped_column(Float, nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class FailureRow(Base):
    """The failure outbox: a title's upload was refused or its job failed for good.

    Written in the transaction that records the failure, so the catalog learns of it eventually
    and flags a title that was never published (service.catalog_sync); kept afterwards so the
    admin pages can say why.
    """

    __tablename__ = "title_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title_id: Mapped[int] = mapped_column(Integer, index=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[float] = mapped_column(Float)
    synced: Mapped[bool] = mapped_column(default=False, index=True)
