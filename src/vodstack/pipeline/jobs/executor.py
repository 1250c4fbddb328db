"""What a worker runs for each task: the `TaskExecutor` interface and what it is given.

The orchestration does not know what an encode is; an executor does. `MediaTaskExecutor`
(jobs.media_tasks) runs the real media layer; tests run fakes. The rules for every executor:

- write the task's output to `ctx.task.output_key` in the object store, atomically (the store's
  put does that), and nothing else outside `ctx.workdir`: that key is how the pipeline knows a
  task is done, so a crash after the put is a finished task and a crash before it is not;
- PROBE, LADDER and ANALYZE return an `AnalysisResult` instead (the worker stores it): PROBE
  and LADDER the job's plan, which expands the DAG, and all details for the job's analysis
  record;
- poll `ctx.cancel` (or hand it to the media runner) and raise `TaskCancelledError` when set;
- raise `TaskError(retryable=False)` for a failure another attempt cannot fix (bad input);
- raise `InputLostError(dependency)` when an input another task produced is gone (a deleted
  mezzanine), after deleting that task's stale output key: the producer runs again and this
  task waits for it, without using up an attempt.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vodstack.config.settings import Settings
from vodstack.pipeline.jobs.dag import JobPlan
from vodstack.pipeline.jobs.queue import ClaimedTask
from vodstack.storage import ObjectStore

DEFAULT_EXECUTOR = "vodstack.pipeline.jobs.media_tasks:MediaTaskExecutor"


class TaskError(Exception):
    """A task failed; `retryable` says whether another attempt might succeed."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class InputLostError(Exception):
    """An input made by the task named `dependency` is missing; it must run again."""

    def __init__(self, dependency: str) -> None:
        super().__init__(f"the output of {dependency} is missing")
        self.dependency = dependency


class TaskCancelledError(Exception):
    """The task stopped because `ctx.cancel` was set (job cancelled, timeout, shutdown)."""


@dataclass(frozen=True)
class AnalysisResult:
    plan: JobPlan | None  # PROBE's: expands the DAG
    analysis: dict[str, Any]  # merged into the job's analysis record


@dataclass(frozen=True)
class TaskContext:
    task: ClaimedTask
    store: ObjectStore
    workdir: Path  # private scratch directory of this attempt, removed afterwards
    settings: Settings
    cancel: threading.Event
    report_progress: Callable[[float], None]


class TaskExecutor(Protocol):
    def run(self, ctx: TaskContext) -> AnalysisResult | None:
        """Do the task's work; see the module docstring for the rules."""


ExecutorFactory = Callable[[Settings], TaskExecutor]


def load_executor(ref: str, settings: Settings) -> TaskExecutor:
    """Build the executor named `module:attribute` (a class or factory taking settings).

    Workers are separate processes, so the executor travels as an importable name.
    """
    module_name, _, attribute = ref.partition(":")
    factory: ExecutorFactory = getattr(importlib.import_module(module_name), attribute)
    return factory(settings)
