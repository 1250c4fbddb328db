"""The executor seam: where a pipeline's tasks run (`pipeline.executor`).

- `local` (the default): `WorkerPool`, worker processes this process spawns, sharing its disk
  and database;
- `celery`: `CeleryDispatcher`, tasks sent through a broker to `vodstack worker` processes on
  any host, which need only the broker and the object store.

Both claim from the same queue and record runs the same way (jobs.outcome), so the service,
`vodstack jobs work`, `ingest` and the benchmarks only pick one.
"""

from __future__ import annotations

from typing import Protocol

from vodstack.config.settings import PipelineExecutor, Settings
from vodstack.pipeline.jobs.executor import DEFAULT_EXECUTOR
from vodstack.pipeline.jobs.pool import WorkerPool


class TaskRunner(Protocol):
    size: int

    def start(self) -> None: ...

    def stop(self, grace_s: float | None = None) -> None: ...

    def healthy(self) -> bool: ...


def open_runner(
    settings: Settings, *, executor_ref: str = DEFAULT_EXECUTOR, size: int | None = None
) -> TaskRunner:
    if settings.pipeline.executor is PipelineExecutor.CELERY:
        # Imported here so the embedded profile never loads Celery.
        from vodstack.pipeline.jobs.dispatch import CeleryDispatcher

        return CeleryDispatcher(settings, executor_ref=executor_ref, size=size)
    return WorkerPool(settings, executor_ref=executor_ref, size=size)
