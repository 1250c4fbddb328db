"""The messages between the Celery controller (jobs.dispatch) and Celery workers
(jobs.celery_tasks), as JSON: a worker has no database, so a task travels whole.

- the task message (controller -> task queue): the claimed task, the controller's pipeline
  settings (chunking and ladder must be the controller's, not the worker's), the executor's
  importable name, the controller's status queue, and the live jobs (the worker sweeps the
  scratch of the others);
- `beat` (worker -> status queue, about every second): progress, and where to send a stop;
- `done` (worker -> status queue): the run's `TaskOutcome`;
- `stop` (controller -> the running task's reply queue): the job was cancelled, the lease lost,
  the task timed out, or the controller is shutting down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vodstack.config.settings import PipelineSettings
from vodstack.pipeline.jobs.dag import Band, JobPlan
from vodstack.pipeline.jobs.queue import ClaimedTask
from vodstack.pipeline.jobs.states import TaskKind

TASK_NAME = "vodstack.pipeline.run_task"


def celery_task_id(task: ClaimedTask) -> str:
    """Deterministic per attempt: a redelivered message is the same attempt, a retry is not."""
    return f"vodstack-job{task.job_id}-task{task.id}-attempt{task.attempt}"


def task_to_json(task: ClaimedTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "job_id": task.job_id,
        "name": task.name,
        "kind": task.kind.value,
        "rendition": task.rendition,
        "chunk": task.chunk,
        "output_key": task.output_key,
        "attempt": task.attempt,
        "title_id": task.title_id,
        "source_key": task.source_key,
        "asset_version": task.asset_version,
        "plan": task.plan.model_dump(mode="json") if task.plan is not None else None,
        "analysis": task.analysis,
        "band": int(task.band),
    }


def task_from_json(data: dict[str, Any]) -> ClaimedTask:
    plan = data.get("plan")
    return ClaimedTask(
        id=int(data["id"]),
        job_id=int(data["job_id"]),
        name=str(data["name"]),
        kind=TaskKind(data["kind"]),
        rendition=data.get("rendition"),
        chunk=data.get("chunk"),
        output_key=str(data["output_key"]),
        attempt=int(data["attempt"]),
        title_id=int(data["title_id"]),
        source_key=str(data["source_key"]),
        asset_version=str(data["asset_version"]),
        plan=JobPlan.model_validate(plan) if plan is not None else None,
        analysis=data.get("analysis"),
        band=Band(int(data["band"])),
    )


@dataclass(frozen=True)
class TaskMessage:
    task: ClaimedTask
    status_queue: str
    pipeline: PipelineSettings
    executor: str
    live_jobs: frozenset[int]

    def to_json(self) -> dict[str, Any]:
        return {
            "task": task_to_json(self.task),
            "status_queue": self.status_queue,
            "pipeline": self.pipeline.model_dump(mode="json"),
            "executor": self.executor,
            "live_jobs": sorted(self.live_jobs),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskMessage:
        return cls(
            task=task_from_json(data["task"]),
            status_queue=str(data["status_queue"]),
            pipeline=PipelineSettings.model_validate(data["pipeline"]),
            executor=str(data["executor"]),
            live_jobs=frozenset(int(j) for j in data["live_jobs"]),
        )
