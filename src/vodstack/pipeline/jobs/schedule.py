"""Fair scheduling across jobs: the claim order, and where a waiting job stands in it.

Several jobs share the worker pool. The claim order is, most significant first:

1. the task's band (`dag.band_of`): every job's preview pass (with its probe and audio), then
   every job's main pass up to the complete publish, then the VMAF reports. A new upload's
   preview therefore waits for running tasks only, never for another title's full ladder, and a
   demo catalogue becomes watchable title by title before any full ladder is made. Reports,
   minutes each, never hold every worker (`queue.report_slots`): the worker kept from them
   runs chunk-sized tasks, so a preview waits for one of those, not for a report;
2. the job's operator priority (`vodstack jobs priority ID N`, the admin job page), higher
   first, 0 when never set;
3. the job's age (oldest first), then the task's own priority inside its job (the DAG's order).

A queued job starts when its PROBE (band 0) is claimed, so what runs before it is the band-0
work of the jobs ahead of it (higher priority, or the same and older) plus what is running
now. `estimate_starts` adds those up with each task's expected duration (the mean of the
finished tasks of its kind and rendition) and divides by the workers not running a report (a
running report keeps its worker for minutes, and never takes the last one): a list-scheduling
estimate, good to the nearest minute on a steady queue, not a promise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from vodstack.pipeline.jobs.dag import AFTER_PUBLISH_PRIORITY, MAIN_PASS_PRIORITY, Band, band_of
from vodstack.pipeline.jobs.models import JobPriorityRow, JobRow, TaskRow
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState

# A task kind nothing has been measured for yet is guessed at this many seconds.
DEFAULT_TASK_S = 5.0
_OPEN = (TaskState.WAITING, TaskState.READY)


def job_priority() -> ColumnElement[int]:
    """The operator priority of a task's job (needs `JobPriorityRow` outer-joined)."""
    return func.coalesce(JobPriorityRow.priority, 0)


def claim_order() -> tuple[ColumnElement[Any] | InstrumentedAttribute[int], ...]:
    """ORDER BY of the claim query: band, job priority (higher first), job age, task order."""
    band = case(
        (TaskRow.priority < MAIN_PASS_PRIORITY, int(Band.PREVIEW)),
        (TaskRow.priority < AFTER_PUBLISH_PRIORITY, int(Band.LADDER)),
        else_=int(Band.REPORTS),
    )
    return band, job_priority().desc(), TaskRow.job_id, TaskRow.priority, TaskRow.id


@dataclass(frozen=True)
class QueueSpot:
    """Where a job that has not started stands: 1 = next to start."""

    position: int
    estimated_start: float  # epoch seconds


@dataclass(frozen=True)
class _Task:
    job_id: int
    kind: TaskKind
    rendition: str | None
    priority: int
    state: TaskState
    progress: float
    started_at: float | None
    finished_at: float | None


class TaskDurations:
    """Expected task durations, learned from the finished tasks in the database."""

    def __init__(self, finished: Iterable[_Task]) -> None:
        samples: dict[tuple[TaskKind, str | None], list[float]] = defaultdict(list)
        by_kind: dict[TaskKind, list[float]] = defaultdict(list)
        for task in finished:
            if task.started_at is not None and task.finished_at is not None:
                took = max(0.0, task.finished_at - task.started_at)
                samples[(task.kind, task.rendition)].append(took)
                by_kind[task.kind].append(took)
        self._exact = {key: sum(v) / len(v) for key, v in samples.items()}
        self._kind = {key: sum(v) / len(v) for key, v in by_kind.items()}

    def expected(self, kind: TaskKind, rendition: str | None) -> float:
        exact = self._exact.get((kind, rendition))
        return exact if exact is not None else self._kind.get(kind, DEFAULT_TASK_S)


def estimate_starts(session: Session, workers: int, now: float) -> dict[int, QueueSpot]:
    """Queue position and estimated start of every job still queued (not yet started)."""
    jobs = session.execute(
        select(JobRow.id, JobRow.state, job_priority(), JobRow.plan)
        .outerjoin(JobPriorityRow, JobPriorityRow.job_id == JobRow.id)
        .where(JobRow.state.in_((JobState.QUEUED, JobState.RUNNING)))
        .order_by(job_priority().desc(), JobRow.id)
    ).all()
    if not jobs:
        return {}
    live = {row[0] for row in jobs}
    tasks = _tasks(session)
    durations = TaskDurations(t for t in tasks if t.state is TaskState.SUCCEEDED)
    running = [t for t in tasks if t.state is TaskState.RUNNING and t.job_id in live]
    # A running report keeps its worker (minutes), and never the last one: the queue is served
    # by the others, so their running work counts, over their number.
    reports = [t for t in running if band_of(t.priority) is Band.REPORTS]
    serving = max(1, workers - len(reports))
    ahead = sum(
        durations.expected(t.kind, t.rendition) * (1 - t.progress)
        for t in running
        if band_of(t.priority) is not Band.REPORTS
    )
    preview_work = _preview_work(tasks, durations, _OPEN)
    # A job not probed yet has no tasks to count: it is guessed at a whole preview pass of the
    # planned jobs, on average.
    whole = _preview_work(tasks, durations, (*_OPEN, TaskState.RUNNING, TaskState.SUCCEEDED))
    unplanned = _mean(whole.values()) or durations.expected(TaskKind.PROBE, None)
    spots: dict[int, QueueSpot] = {}
    for row in jobs:
        job_id, state, plan = int(row[0]), row[1], row[3]
        if state is JobState.QUEUED:
            start = now + ahead / serving
            spots[job_id] = QueueSpot(len(spots) + 1, start)
        ahead += preview_work.get(job_id, 0.0) if plan is not None else unplanned
    return spots


def _preview_work(
    tasks: Sequence[_Task], durations: TaskDurations, states: Sequence[TaskState]
) -> dict[int, float]:
    """Per job, the expected seconds of its band-0 tasks in `states`."""
    work: dict[int, float] = defaultdict(float)
    for task in tasks:
        if task.state in states and band_of(task.priority) is Band.PREVIEW:
            work[task.job_id] += durations.expected(task.kind, task.rendition)
    return work


def _mean(values: Iterable[float]) -> float:
    items = [v for v in values if v > 0]
    return sum(items) / len(items) if items else 0.0


def _tasks(session: Session) -> list[_Task]:
    rows = session.execute(
        select(
            TaskRow.job_id,
            TaskRow.kind,
            TaskRow.rendition,
            TaskRow.priority,
            TaskRow.state,
            TaskRow.progress,
            TaskRow.started_at,
            TaskRow.finished_at,
        ).where(TaskRow.state.in_((*_OPEN, TaskState.RUNNING, TaskState.SUCCEEDED)))
    ).all()
    return [_Task(*row) for row in rows]
