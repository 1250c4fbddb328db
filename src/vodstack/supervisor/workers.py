"""The pipeline's Celery workers that `vodstack up` runs beside the services.

With `pipeline.executor = "celery"` the pipeline service only dispatches; `vodstack worker`
processes encode. `up` runs `pipeline.celery_workers` of them (0: the workers all run on other
hosts) as supervised processes like any service: restarted with backoff when they exit, shown
by `vodstack status`, stopped with the platform. Each gets a scratch directory of its own under
`data_dir/workers/` and shares nothing else with the services: objects come from and go to S3,
tasks and progress through the broker. A worker serves no HTTP, so it has no /healthz: the
supervisor counts it healthy while it runs, and a hung one shows as a task that stops beating,
which the controller's lease takes back (jobs.dispatch).

They start first and stop last (tier 0): a job submitted as soon as the platform is up finds
them, and a worker still finishing a task is stopped after the services that would record it.
"""

from __future__ import annotations

from pathlib import Path

from vodstack.config import Settings
from vodstack.config.settings import PipelineExecutor, StorageBackend
from vodstack.supervisor.registry import ServerKind, ServiceSpec

WORKER = ServiceSpec("worker", "vodstack.cli.worker:worker", ServerKind.WORKER, tier=0)


class WorkersRefused(ValueError):
    """Supervised workers were asked for where they cannot reach the platform's objects."""


def worker_count(settings: Settings) -> int:
    """How many `vodstack worker` processes `up` runs for these settings."""
    if settings.pipeline.executor is not PipelineExecutor.CELERY:
        return 0
    return settings.pipeline.celery_workers


def check_workers(settings: Settings) -> None:
    """Refuse supervised workers on a local object store: a worker's data directory is its
    scratch, so it would read and write a store of its own that no service sees."""
    if worker_count(settings) and settings.storage.backend is not StorageBackend.S3:
        raise WorkersRefused(
            'pipeline.executor = "celery" runs Celery workers that read and write objects in '
            'S3: set storage.backend = "s3" (with its endpoint and keys), or set '
            "pipeline.celery_workers = 0 and run `vodstack worker` yourself"
        )


def worker_command(settings_file: Path, scratch: Path) -> list[str]:
    """The arguments after `python -m vodstack` that run one supervised worker."""
    return ["worker", "--settings-file", str(settings_file), "--scratch", str(scratch)]


def scratch_dir(settings: Settings, name: str) -> Path:
    return settings.data_dir / "workers" / name
