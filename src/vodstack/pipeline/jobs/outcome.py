"""One run of a task, split in two: what the worker did (`run_task`) and how the queue records
it (`record_outcome`).

With local workers both halves run in the same process. With Celery workers (jobs.dispatch,
jobs.celery_tasks) the run happens on another host that cannot reach the database, and the
controller that holds the task's lease records it from the outcome the worker sends back. Both
executors go through these two functions, so a job's states are the same whichever ran it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from vodstack.pipeline.jobs.dag import JobPlan, final_task
from vodstack.pipeline.jobs.executor import (
    AnalysisResult,
    InputLostError,
    TaskCancelledError,
    TaskContext,
    TaskError,
    TaskExecutor,
)
from vodstack.pipeline.jobs.queue import ClaimedTask, JobQueue
from vodstack.pipeline.jobs.states import TaskKind
from vodstack.storage import ObjectStore, work_prefix

log = logging.getLogger(__name__)


class StopReason(StrEnum):
    """Why the lease holder asked a running task to stop."""

    CANCELLED = "cancelled"
    LOST = "lost"
    TIMEOUT = "timeout"
    SHUTDOWN = "shutdown"


class OutcomeKind(StrEnum):
    SUCCEEDED = "succeeded"  # the output key exists (written now, or by an earlier run)
    FAILED = "failed"  # TaskError or a crash: `message`, `retryable`
    INPUT_LOST = "input_lost"  # `dependency` must run again
    STOPPED = "stopped"  # TaskCancelledError: the cancel token was set


@dataclass(frozen=True)
class TaskOutcome:
    kind: OutcomeKind
    executed: bool = True  # False: the output was already there, nothing ran
    message: str = ""
    retryable: bool = True
    dependency: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskOutcome:
        return cls(
            kind=OutcomeKind(data["kind"]),
            executed=bool(data.get("executed", True)),
            message=str(data.get("message", "")),
            retryable=bool(data.get("retryable", True)),
            dependency=data.get("dependency"),
        )


def run_task(executor: TaskExecutor, ctx: TaskContext) -> TaskOutcome:
    """Run `ctx.task` unless its output exists (idempotent task keys); never raises."""
    task = ctx.task
    if ctx.store.exists(task.output_key):
        log.info("%s of job %s already has its output; not re-running", task.name, task.job_id)
        return TaskOutcome(OutcomeKind.SUCCEEDED, executed=False)
    try:
        result = executor.run(ctx)
    except InputLostError as exc:
        return TaskOutcome(OutcomeKind.INPUT_LOST, dependency=exc.dependency, message=str(exc))
    except TaskError as exc:
        return TaskOutcome(OutcomeKind.FAILED, message=exc.message, retryable=exc.retryable)
    except TaskCancelledError as exc:
        return TaskOutcome(OutcomeKind.STOPPED, message=str(exc))
    except Exception as exc:
        log.exception("%s of job %s crashed", task.name, task.job_id)
        return TaskOutcome(OutcomeKind.FAILED, message=f"{type(exc).__name__}: {exc}")
    if isinstance(result, AnalysisResult):
        plan = result.plan.model_dump() if result.plan is not None else None
        payload = {"plan": plan, "analysis": result.analysis}
        ctx.store.put_bytes(task.output_key, json.dumps(payload).encode())
    if not ctx.store.exists(task.output_key):
        return TaskOutcome(OutcomeKind.FAILED, message="the task wrote no output")
    return TaskOutcome(OutcomeKind.SUCCEEDED)


def record_outcome(
    queue: JobQueue,
    store: ObjectStore,
    task: ClaimedTask,
    owner: str,
    outcome: TaskOutcome,
    reason: StopReason | None,
    *,
    timeout_s: float,
) -> bool:
    """Write the run's end to the queue as lease holder `owner`.

    A stop the holder asked for (`reason`) decides over how the run ended: shutdown releases
    the task untried, a timeout is a failed attempt, a cancel or a lost lease is already in
    the database. Returns True when this was the job's final task, accepted (the caller
    removes its host-local scratch of the job).
    """
    if outcome.kind is OutcomeKind.SUCCEEDED:
        if reason is not None:
            # Finished anyway; if the job was cancelled or the lease lost, succeed() says no.
            log.info("%s finished after a stop request (%s)", task.name, reason.value)
        return _succeed(queue, store, task, owner, executed=outcome.executed)
    if reason is StopReason.SHUTDOWN:
        queue.release(task.id, owner)
    elif reason is StopReason.TIMEOUT:
        queue.fail(task.id, owner, f"timed out after {timeout_s:g} s", retryable=True)
    elif reason is not None:
        log.info("%s stopped: %s", task.name, reason.value)  # the database already says
    elif outcome.kind is OutcomeKind.INPUT_LOST and outcome.dependency is not None:
        log.info("%s: %s; regenerating it", task.name, outcome.message)
        queue.requeue_input(task.id, owner, outcome.dependency)
    elif outcome.kind is OutcomeKind.STOPPED:
        queue.fail(task.id, owner, "stopped unexpectedly", retryable=True)
    else:
        queue.fail(task.id, owner, outcome.message, retryable=outcome.retryable)
    return False


def _succeed(
    queue: JobQueue, store: ObjectStore, task: ClaimedTask, owner: str, *, executed: bool
) -> bool:
    plan: JobPlan | None = None
    analysis = None
    if task.kind in (TaskKind.PROBE, TaskKind.ANALYZE, TaskKind.LADDER):
        stored = json.loads(store.read_bytes(task.output_key))
        if stored["plan"] is not None:
            plan = JobPlan.model_validate(stored["plan"])
        analysis = stored["analysis"]
    accepted = queue.succeed(task.id, owner, executed=executed, plan=plan, analysis=analysis)
    if accepted and task.plan is not None and task.name == final_task(task.plan):
        # Intermediate outputs are only needed until the job's last task (VMAF reads the
        # package after the publish).
        store.delete_prefix(work_prefix(task.job_id))
        return True
    return False
