"""The job queue: the persisted DAG and every state change of it, one transaction each.

All processes (API, controller, workers) share this through the database; nothing here lives in
memory between calls, which is why killing any process loses no state:

- `claim` leases the most urgent READY task with one conditional UPDATE, in the fair order of
  jobs.schedule (previews of every job first, operator priority, then age); the lease is
  extended by `heartbeat` and expires if the worker dies, making the task claimable again
  (`reap_expired`).
- `succeed` marks a task done and promotes the tasks waiting on it; the first plan reported (by
  PROBE) expands the DAG in the same transaction, and analysis details are merged into the job;
  a PUBLISH's success enters the publication outbox; the job succeeds with its last task (the
  VMAF report, which follows the complete publish).
- `fail` retries with exponential back-off, then fails the job with the task's error (and
  enters it in the failure outbox, jobs.failures).
- The split window: a SPLIT that would open a new chunk is claimable only while fewer than
  `split_window` chunks are open (split at least once, not yet discarded), across live jobs, so
  the mezzanines on scratch disk are bounded. A chunk once admitted stays admitted: its split's
  retries and regenerations never wait for the window (they would otherwise wait for
  themselves).
- Reports never take the last worker: a VMAF report (band 2) is one task of minutes for a whole
  title, not a chunk of seconds, and the claim order cannot take a worker back once it runs one.
  With every worker on reports, a new upload's preview waited for them (213 s and counting on
  the demo under load); so at most `report_slots` reports run at once, workers - 1 (one with a
  single worker), and a worker is always free for previews and ladders.
- `requeue_input` handles a task whose input vanished (a deleted mezzanine): the producer runs
  again and the task waits for it, without using up an attempt.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import PipelineSettings
from vodstack.pipeline.jobs.dag import (
    AFTER_PUBLISH_PRIORITY,
    PREVIEW,
    Band,
    JobPlan,
    TaskSpec,
    band_of,
    expanded_tasks,
    initial_tasks,
    preview_version,
)
from vodstack.pipeline.jobs.failures import FailureOutbox, record_failure
from vodstack.pipeline.jobs.models import JobPriorityRow, JobRow, PublicationRow, TaskRow
from vodstack.pipeline.jobs.schedule import claim_order
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState

Clock = Callable[[], float]
_LIVE_JOB = (JobState.QUEUED, JobState.RUNNING)


class JobNotFoundError(LookupError):
    """No job with that id."""


class JobFinishedError(Exception):
    """The job already reached a final state (cannot be cancelled)."""


class HeartbeatAnswer(StrEnum):
    CONTINUE = "continue"
    CANCELLED = "cancelled"  # the job was cancelled or failed: stop the work
    LOST = "lost"  # the lease is gone (expired and reclaimed): stop, the result is not ours


@dataclass(frozen=True)
class ClaimedTask:
    """Everything a worker needs to run one task, detached from the database session."""

    id: int
    job_id: int
    name: str
    kind: TaskKind
    rendition: str | None
    chunk: int | None
    output_key: str
    attempt: int
    title_id: int
    source_key: str
    asset_version: str
    plan: JobPlan | None
    analysis: dict[str, Any] | None
    band: Band = Band.PREVIEW


@dataclass(frozen=True)
class Publication:
    """An asset version the catalog has to be told of (the outbox's entry)."""

    id: int
    job_id: int
    title_id: int
    asset_version: str
    preview: bool


def _workers(config: PipelineSettings) -> int:
    return config.workers or os.cpu_count() or 1


def split_window(config: PipelineSettings) -> int:
    """How many chunks may be split but not yet discarded at once: workers + 1 by default, so
    no worker ever idles for want of a split chunk while the window still bounds disk."""
    return config.split_window or _workers(config) + 1


def report_slots(config: PipelineSettings) -> int:
    """How many VMAF reports may run at once: every worker but one (one on a single worker).
    Little is lost when nothing else is left: a report's libvmaf runs on two threads."""
    return max(1, _workers(config) - 1)


def new_asset_version(now: float) -> str:
    """Unique and sortable: a re-encode of a title never collides with an older version."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)) + "-" + secrets.token_hex(3)


class JobQueue:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: PipelineSettings,
        clock: Clock = time.time,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock
        self.failures = FailureOutbox(sessions)  # fed by `_after_failure` and refused uploads

    # -- jobs ---------------------------------------------------------------------------------

    def create_job(self, title_id: int, source_key: str) -> int:
        now = self._clock()
        with self._sessions.begin() as session:
            job = JobRow(
                title_id=title_id,
                source_key=source_key,
                state=JobState.QUEUED,
                asset_version=new_asset_version(now),
                created_at=now,
            )
            session.add(job)
            session.flush()
            _insert_specs(session, job.id, initial_tasks(job.id), now)
            return job.id

    def latest_source(self, title_id: int) -> str | None:
        """The master of the title's newest job that did not fail (what a re-encode starts
        from): one still running counts, its master is the title's next version."""
        alive = (JobState.QUEUED, JobState.RUNNING, JobState.SUCCEEDED)
        with self._sessions() as session:
            return session.scalar(
                select(JobRow.source_key)
                .where(JobRow.title_id == title_id, JobRow.state.in_(alive))
                .order_by(JobRow.id.desc())
                .limit(1)
            )

    def cancel_job(self, job_id: int) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            job = _job(session, job_id)
            if job.state.terminal:
                raise JobFinishedError(f"job {job_id} already {job.state.value}")
            job.state = JobState.CANCELLED
            job.finished_at = now
            job.error = "cancelled by an operator"
            _stop_open_tasks(session, job_id, now)

    def retry_delay(self, attempt: int) -> float:
        """Back-off before attempt `attempt + 1`: base * 2^(attempt-1), capped."""
        delay = self._config.retry_backoff_s * 2 ** max(0, attempt - 1)
        return float(min(self._config.retry_backoff_max_s, delay))

    # -- tasks --------------------------------------------------------------------------------

    def claim(self, owner: str) -> ClaimedTask | None:
        """Lease the most urgent ready task to `owner`, or None when nothing is ready."""
        now = self._clock()
        with self._sessions.begin() as session:
            candidate = (
                select(TaskRow.id)
                .join(JobRow, JobRow.id == TaskRow.job_id)
                .outerjoin(JobPriorityRow, JobPriorityRow.job_id == TaskRow.job_id)
                .where(
                    TaskRow.state == TaskState.READY,
                    TaskRow.not_before <= now,
                    JobRow.state.in_(_LIVE_JOB),
                )
                .order_by(*claim_order())
                .limit(1)
                .with_for_update(skip_locked=True, of=TaskRow)
            )
            if open_chunks(session) >= split_window(self._config):
                candidate = candidate.where(
                    or_(TaskRow.kind != TaskKind.SPLIT, TaskRow.attempts > 0)
                )
            if running_reports(session) >= report_slots(self._config):
                candidate = candidate.where(TaskRow.priority < AFTER_PUBLISH_PRIORITY)
            task_id = session.scalar(candidate)
            if task_id is None:
                return None
            claimed = session.execute(
                update(TaskRow)
                .where(TaskRow.id == task_id, TaskRow.state == TaskState.READY)
                .values(
                    state=TaskState.RUNNING,
                    lease_owner=owner,
                    lease_expires=now + self._config.lease_s,
                    attempts=TaskRow.attempts + 1,
                    started_at=now,
                    progress=0.0,
                )
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None  # lost a race (PostgreSQL); the caller polls again
            task = session.get_one(TaskRow, task_id, populate_existing=True)
            job = _job(session, task.job_id)
            if job.state is JobState.QUEUED:
                job.state = JobState.RUNNING
                job.started_at = now
            return _claimed(task, job)

    def heartbeat(self, task_id: int, owner: str, progress: float) -> HeartbeatAnswer:
        now = self._clock()
        with self._sessions.begin() as session:
            task = session.get(TaskRow, task_id)
            if task is None or task.state is not TaskState.RUNNING or task.lease_owner != owner:
                return HeartbeatAnswer.LOST
            if _job(session, task.job_id).state not in _LIVE_JOB:
                return HeartbeatAnswer.CANCELLED
            task.lease_expires = now + self._config.lease_s
            task.progress = min(1.0, max(0.0, progress))
            return HeartbeatAnswer.CONTINUE

    def succeed(
        self,
        task_id: int,
        owner: str,
        *,
        executed: bool,
        plan: JobPlan | None = None,
        analysis: dict[str, Any] | None = None,
    ) -> bool:
        """Record success; False if the lease was lost meanwhile (the result is discarded)."""
        now = self._clock()
        with self._sessions.begin() as session:
            task = _leased(session, task_id, owner)
            if task is None:
                return False
            job = _job(session, task.job_id, lock=True)
            task.state = TaskState.SUCCEEDED
            task.finished_at = now
            task.progress = 1.0
            task.error = None
            task.executions += int(executed)
            _release_lease(task)
            if task.kind in (TaskKind.PROBE, TaskKind.LADDER):
                if plan is None:
                    raise ValueError(f"{task.kind.value} must succeed with a plan")
                job.plan = plan.model_dump()
                specs = expanded_tasks(job.id, job.title_id, job.asset_version, plan)
                _insert_specs(session, job.id, specs, now)
            if analysis is not None:
                job.analysis = {**(job.analysis or {}), **analysis}
            if task.kind is TaskKind.PUBLISH:
                preview = task.rendition == PREVIEW
                version = preview_version(job.asset_version) if preview else job.asset_version
                session.add(
                    PublicationRow(
                        job_id=job.id,
                        title_id=job.title_id,
                        asset_version=version,
                        preview=preview,
                        published_at=now,
                    )
                )
            _promote_waiting(session, job.id)
            if job.plan is not None and _all_succeeded(session, job.id):
                job.state = JobState.SUCCEEDED
                job.finished_at = now
            return True

    def set_priority(self, job_id: int, priority: int) -> None:
        """The operator's priority for a job: higher runs sooner within each band."""
        with self._sessions.begin() as session:
            job = _job(session, job_id)
            if job.state.terminal:
                raise JobFinishedError(f"job {job_id} already {job.state.value}")
            row = session.get(JobPriorityRow, job_id)
            if row is None:
                session.add(JobPriorityRow(job_id=job_id, priority=priority))
            else:
                row.priority = priority

    def priority(self, job_id: int) -> int:
        with self._sessions.begin() as session:
            _job(session, job_id)
            row = session.get(JobPriorityRow, job_id)
            return row.priority if row is not None else 0

    def fail(self, task_id: int, owner: str, error: str, *, retryable: bool) -> None:
        """Record a failed attempt: back to READY after a back-off, or fail the job."""
        now = self._clock()
        with self._sessions.begin() as session:
            task = _leased(session, task_id, owner)
            if task is None:
                return
            task.executions += 1
            self._after_failure(session, task, error, retryable=retryable, now=now)

    def release(self, task_id: int, owner: str) -> None:
        """Give a task back untried (graceful shutdown): the attempt does not count."""
        with self._sessions.begin() as session:
            task = _leased(session, task_id, owner)
            if task is None:
                return
            task.state = TaskState.READY
            task.attempts = max(0, task.attempts - 1)
            task.progress = 0.0
            _release_lease(task)

    def requeue_input(self, task_id: int, owner: str, dependency: str) -> None:
        """The task's input `dependency` (a task it depends on) lost its output: run that task
        again and make this one wait for it. The attempt does not count."""
        now = self._clock()
        with self._sessions.begin() as session:
            task = _leased(session, task_id, owner)
            if task is None:
                return
            _job(session, task.job_id, lock=True)  # dependency states change: see `_job`
            producer = session.scalar(
                select(TaskRow).where(TaskRow.job_id == task.job_id, TaskRow.name == dependency)
            )
            if producer is None or producer.id not in task.deps:
                error = f"input {dependency!r} is missing and is not a dependency"
                self._after_failure(session, task, error, retryable=False, now=now)
                return
            task.state = TaskState.WAITING
            task.attempts = max(0, task.attempts - 1)
            task.progress = 0.0
            task.error = f"its input {dependency} went missing; regenerating it"
            _release_lease(task)
            if producer.state is TaskState.SUCCEEDED:
                producer.state = TaskState.READY
                producer.not_before = now
                producer.finished_at = None
                producer.error = "its output went missing; running it again"
            _unready_dependents(session, producer)

    def lost_run(self, task_id: int, owner: str, error: str) -> bool:
        """A run of a leased task died with its worker and the broker handed the task to
        another (the Celery executor: the lease never lapsed). Counted as an attempt, as an
        expired lease is; False when that was the last one (the task and its job fail)."""
        now = self._clock()
        with self._sessions.begin() as session:
            task = _leased(session, task_id, owner)
            if task is None:
                return False
            task.executions += 1
            if task.attempts >= self._config.max_attempts:
                self._after_failure(session, task, error, retryable=True, now=now)
                return False
            task.attempts += 1
            task.error = error
            return True

    def reap_expired(self, owner_dead: Callable[[str], bool] | None = None) -> list[int]:
        """Reclaim tasks whose worker is gone (lease expired, or owner known dead)."""
        now = self._clock()
        with self._sessions.begin() as session:
            # Rows a worker is recording an outcome for are skipped: they are not lost.
            running = session.scalars(
                select(TaskRow)
                .where(TaskRow.state == TaskState.RUNNING)
                .with_for_update(skip_locked=True)
            ).all()
            reaped = [
                task
                for task in running
                if (task.lease_expires or 0.0) < now
                or (owner_dead is not None and owner_dead(task.lease_owner or ""))
            ]
            for task in reaped:
                error = f"worker {task.lease_owner} stopped responding"
                self._after_failure(session, task, error, retryable=True, now=now, backoff=False)
            return [task.id for task in reaped]

    def _after_failure(
        self,
        session: Session,
        task: TaskRow,
        error: str,
        *,
        retryable: bool,
        now: float,
        backoff: bool = True,
    ) -> None:
        task.error = error
        task.progress = 0.0
        _release_lease(task)
        if retryable and task.attempts < self._config.max_attempts:
            task.state = TaskState.READY
            task.not_before = now + (self.retry_delay(task.attempts) if backoff else 0.0)
            return
        task.state = TaskState.FAILED
        task.finished_at = now
        job = _job(session, task.job_id)
        job.state = JobState.FAILED
        job.finished_at = now
        tries = f"after {task.attempts} attempts" if task.attempts > 1 else "(not retryable)"
        job.error = f"{task.name} failed {tries}: {error}"
        record_failure(session, job.title_id, job.error, now, job.id)
        _stop_open_tasks(session, job.id, now)

    def live_jobs(self) -> set[int]:
        """Ids of jobs still queued or running (the others' scratch can go)."""
        with self._sessions.begin() as session:
            return set(session.scalars(select(JobRow.id).where(JobRow.state.in_(_LIVE_JOB))))

    # -- catalog outbox -----------------------------------------------------------------------

    def unsynced_publications(self) -> list[Publication]:
        """Publications the catalog has not been told of, oldest first.

        A preview never replaces a complete version: one whose title already has a complete
        version published (by this job meanwhile, or by an earlier one) is retired here without
        being announced.
        """
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(PublicationRow)
                .where(PublicationRow.synced.is_(False))
                .order_by(PublicationRow.id)
            ).all()
            complete = set(
                session.scalars(
                    select(PublicationRow.title_id).where(PublicationRow.preview.is_(False))
                )
            )
            due = []
            for row in rows:
                if row.preview and row.title_id in complete:
                    row.synced = True
                    continue
                due.append(
                    Publication(row.id, row.job_id, row.title_id, row.asset_version, row.preview)
                )
            return due

    def mark_synced(self, publication_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(PublicationRow, publication_id)
            if row is None:
                raise LookupError(f"no publication {publication_id}")
            row.synced = True
            if not row.preview:
                _job(session, row.job_id).catalog_synced = True

    def preview_of(self, job_id: int) -> str | None:
        """The preview version a job published, if it did."""
        with self._sessions.begin() as session:
            return session.scalar(
                select(PublicationRow.asset_version).where(
                    PublicationRow.job_id == job_id, PublicationRow.preview.is_(True)
                )
            )


def _job(session: Session, job_id: int, *, lock: bool = False) -> JobRow:
    """The job's row; `lock` for a transaction that reads its tasks' states to change others.

    Without the lock two workers finishing the last two dependencies of a task at once each
    read the other's as still running (PostgreSQL's READ COMMITTED: neither has committed),
    neither promotes the dependent, and the job waits forever (write skew; seen as a job stuck
    with `publish` waiting after all its inputs succeeded). Locking the job row serializes
    those transactions; the second then reads the first's commit. Lock order is always the
    task's row first (`_leased`, `claim`), then the job's. SQLite's BEGIN IMMEDIATE already
    serializes every writer, so there the lock changes nothing.
    """
    job = session.get(JobRow, job_id, with_for_update=lock or None)
    if job is None:
        raise JobNotFoundError(f"no job {job_id}")
    return job


def _claimed(task: TaskRow, job: JobRow) -> ClaimedTask:
    return ClaimedTask(
        id=task.id,
        job_id=job.id,
        name=task.name,
        kind=task.kind,
        rendition=task.rendition,
        chunk=task.chunk,
        output_key=task.output_key,
        attempt=task.attempts,
        title_id=job.title_id,
        source_key=job.source_key,
        asset_version=job.asset_version,
        plan=JobPlan.model_validate(job.plan) if job.plan is not None else None,
        analysis=job.analysis,
        band=band_of(task.priority),
    )


def _leased(session: Session, task_id: int, owner: str) -> TaskRow | None:
    # Locked (PostgreSQL): the reaper reads running tasks, then writes; without the lock it could
    # hand a task that has just succeeded out again, and its second success would expand the DAG
    # twice (a duplicate-key error seen under load with 3 s leases).
    task = session.get(TaskRow, task_id, with_for_update=True)
    if task is None or task.state is not TaskState.RUNNING or task.lease_owner != owner:
        return None
    return task


def _release_lease(task: TaskRow) -> None:
    task.lease_owner = None
    task.lease_expires = None


def _insert_specs(session: Session, job_id: int, specs: Sequence[TaskSpec], now: float) -> None:
    """Insert tasks in order (specs list dependencies before dependents)."""
    existing = session.execute(
        select(TaskRow.name, TaskRow.id, TaskRow.state).where(TaskRow.job_id == job_id)
    ).all()
    ids = {row[0]: row[1] for row in existing}
    done = {row[0] for row in existing if row[2] is TaskState.SUCCEEDED}
    for spec in specs:
        ready = all(dep in done for dep in spec.deps)
        row = TaskRow(
            job_id=job_id,
            name=spec.name,
            kind=spec.kind,
            rendition=spec.rendition,
            chunk=spec.chunk,
            priority=spec.priority,
            deps=[ids[dep] for dep in spec.deps],
            state=TaskState.READY if ready else TaskState.WAITING,
            output_key=spec.output_key,
            attempts=0,
            executions=0,
            not_before=0.0,
            progress=0.0,
            created_at=now,
        )
        session.add(row)
        session.flush()
        ids[spec.name] = row.id


def open_chunks(session: Session) -> int:
    """Mezzanines of live jobs split at least once and not yet discarded (the split window).
    A chunk's preview and full-size mezzanines count as one each (the tier is `rendition`)."""
    rows = session.execute(
        select(
            TaskRow.job_id,
            TaskRow.rendition,
            TaskRow.chunk,
            TaskRow.kind,
            TaskRow.state,
            TaskRow.attempts,
        )
        .join(JobRow, JobRow.id == TaskRow.job_id)
        .where(TaskRow.kind.in_((TaskKind.SPLIT, TaskKind.DISCARD)), JobRow.state.in_(_LIVE_JOB))
    ).all()
    admitted = {
        (job, tier, chunk)
        for job, tier, chunk, kind, _, tries in rows
        if kind is TaskKind.SPLIT and tries
    }
    discarded = {
        (job, tier, chunk)
        for job, tier, chunk, kind, state, _ in rows
        if kind is TaskKind.DISCARD and state is TaskState.SUCCEEDED
    }
    return len(admitted - discarded)


def running_reports(session: Session) -> int:
    """VMAF reports (band 2) running now, across jobs (see `report_slots`)."""
    count = session.scalar(
        select(func.count())
        .select_from(TaskRow)
        .where(TaskRow.state == TaskState.RUNNING, TaskRow.priority >= AFTER_PUBLISH_PRIORITY)
    )
    return int(count or 0)


def _unready_dependents(session: Session, producer: TaskRow) -> None:
    # Tasks that became ready on the lost output must wait for the new one.
    ready = session.scalars(
        select(TaskRow).where(TaskRow.job_id == producer.job_id, TaskRow.state == TaskState.READY)
    ).all()
    for task in ready:
        if producer.id in task.deps:
            task.state = TaskState.WAITING


def _all_succeeded(session: Session, job_id: int) -> bool:
    unfinished = session.scalar(
        select(func.count())
        .select_from(TaskRow)
        .where(TaskRow.job_id == job_id, TaskRow.state != TaskState.SUCCEEDED)
    )
    return not unfinished


def _promote_waiting(session: Session, job_id: int) -> None:
    rows = session.execute(select(TaskRow.id, TaskRow.state).where(TaskRow.job_id == job_id)).all()
    done = {row[0] for row in rows if row[1] is TaskState.SUCCEEDED}
    waiting = session.scalars(
        select(TaskRow).where(TaskRow.job_id == job_id, TaskRow.state == TaskState.WAITING)
    ).all()
    for task in waiting:
        if all(dep in done for dep in task.deps):
            task.state = TaskState.READY


def _stop_open_tasks(session: Session, job_id: int, now: float) -> None:
    # Running tasks learn of this at their next heartbeat and kill their ffmpeg.
    session.execute(
        update(TaskRow)
        .where(
            TaskRow.job_id == job_id,
            TaskRow.state.in_((TaskState.WAITING, TaskState.READY, TaskState.RUNNING)),
        )
        .values(state=TaskState.CANCELLED, finished_at=now, lease_owner=None, lease_expires=None)
    )
