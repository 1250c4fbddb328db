"""The read side: job and task progress as the operator sees it (API, `vodstack jobs`, admin)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vodstack.contracts.pipeline import JobDetail, JobSummary, RenditionProgress, TaskInfo
from vodstack.pipeline.jobs.dag import PREVIEW, preview_version
from vodstack.pipeline.jobs.models import JobPriorityRow, JobRow, TaskRow
from vodstack.pipeline.jobs.queue import JobNotFoundError
from vodstack.pipeline.jobs.schedule import QueueSpot, estimate_starts
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState

# Before PROBE has expanded the DAG, a job's whole progress is its first task; this
# share keeps the bar from jumping to 100 % and back when hundreds of tasks appear.
_PLANNING_SHARE = 0.05


def _task_progress(task: TaskRow) -> float:
    if task.state is TaskState.SUCCEEDED:
        return 1.0
    if task.state is TaskState.RUNNING:
        return task.progress
    return 0.0


def _job_progress(job: JobRow, tasks: Sequence[TaskRow]) -> float:
    if job.state is JobState.SUCCEEDED:
        return 1.0
    if not tasks:
        return 0.0
    if job.plan is None:
        return _PLANNING_SHARE * sum(_task_progress(t) for t in tasks) / len(tasks)
    rest = [t for t in tasks if t.kind is not TaskKind.PROBE]
    share = sum(_task_progress(t) for t in rest) / max(1, len(rest))
    return _PLANNING_SHARE + (1 - _PLANNING_SHARE) * share


def _renditions(job: JobRow, tasks: Sequence[TaskRow]) -> list[RenditionProgress]:
    encodes: dict[str, list[TaskRow]] = defaultdict(list)
    for task in tasks:
        if task.kind is TaskKind.ENCODE and task.rendition is not None:
            encodes[task.rendition].append(task)
    order = list((job.plan or {}).get("renditions", [])) or sorted(encodes)
    return [
        RenditionProgress(
            rendition=name,
            chunks_done=sum(t.state is TaskState.SUCCEEDED for t in encodes[name]),
            chunks_total=len(encodes[name]),
            progress=sum(_task_progress(t) for t in encodes[name]) / max(1, len(encodes[name])),
        )
        for name in order
    ]


def _published(tasks: Sequence[TaskRow], tier: str | None) -> float | None:
    for task in tasks:
        if task.kind is TaskKind.PUBLISH and task.rendition == tier:
            return task.finished_at if task.state is TaskState.SUCCEEDED else None
    return None


@dataclass(frozen=True)
class _Queue:
    """What the read side needs from the scheduler: priorities and the waiting jobs' spots."""

    priorities: dict[int, int]
    spots: dict[int, QueueSpot]

    @classmethod
    def read(cls, session: Session, workers: int) -> _Queue:
        rows = session.execute(select(JobPriorityRow.job_id, JobPriorityRow.priority)).all()
        priorities = {job_id: priority for job_id, priority in rows}
        return cls(priorities, estimate_starts(session, workers, time.time()))


def _summary_fields(job: JobRow, tasks: Sequence[TaskRow], queue: _Queue) -> dict[str, object]:
    preview_at = _published(tasks, PREVIEW)
    spot = queue.spots.get(job.id)
    return {
        "id": job.id,
        "title_id": job.title_id,
        "source_key": job.source_key,
        "state": job.state,
        "asset_version": job.asset_version,
        "preview_version": preview_version(job.asset_version) if preview_at else None,
        "preview_published_at": preview_at,
        "progress": min(1.0, _job_progress(job, tasks)),
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "priority": queue.priorities.get(job.id, 0),
        "queue_position": spot.position if spot else None,
        "estimated_start": spot.estimated_start if spot else None,
        "published": _published(tasks, None) is not None,
    }


def _task_info(task: TaskRow) -> TaskInfo:
    return TaskInfo(
        id=task.id,
        name=task.name,
        kind=task.kind,
        rendition=task.rendition,
        chunk=task.chunk,
        state=task.state,
        attempts=task.attempts,
        executions=task.executions,
        progress=_task_progress(task),
        error=task.error,
        started_at=task.started_at,
        finished_at=task.finished_at,
    )


def job_detail(sessions: sessionmaker[Session], job_id: int, workers: int = 1) -> JobDetail:
    """One job with per rendition and per task progress; `workers` (the pool's size) scales
    the estimate of when a waiting job starts."""
    with sessions() as session:
        job = session.get(JobRow, job_id)
        if job is None:
            raise JobNotFoundError(f"no job {job_id}")
        tasks = session.scalars(
            select(TaskRow).where(TaskRow.job_id == job_id).order_by(TaskRow.id)
        ).all()
        return JobDetail.model_validate(
            {
                **_summary_fields(job, tasks, _Queue.read(session, workers)),
                "renditions": _renditions(job, tasks),
                "tasks": [_task_info(t) for t in tasks],
                "analysis": job.analysis,
            }
        )


def list_jobs(
    sessions: sessionmaker[Session], limit: int = 50, workers: int = 1
) -> list[JobSummary]:
    """The newest jobs first."""
    with sessions() as session:
        queue = _Queue.read(session, workers)
        jobs = session.scalars(select(JobRow).order_by(JobRow.id.desc()).limit(limit)).all()
        by_job: dict[int, list[TaskRow]] = defaultdict(list)
        if jobs:
            ids = [job.id for job in jobs]
            for task in session.scalars(select(TaskRow).where(TaskRow.job_id.in_(ids))):
                by_job[task.job_id].append(task)
        return [JobSummary.model_validate(_summary_fields(j, by_job[j.id], queue)) for j in jobs]
