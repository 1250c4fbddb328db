"""`vodstack worker`: a Celery transcoding worker for a platform whose pipeline runs with
`pipeline.executor = "celery"` (docs/pipeline.md, "Celery workers").

It needs the broker and the object store only: no database, no access to the platform's data
directory. Its own `--scratch` directory holds task folders, fetched masters and the chunk
mezzanines its processes share. It dies with the process that started it, and its pool
processes (and their ffmpeg) with it.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from vodstack.cli.options import ConfigFile
from vodstack.config.settings import Settings, StorageBackend, load_settings
from vodstack.core.context import configure_logging
from vodstack.core.processes import die_with_parent

console = Console(stderr=True)


def _pool_process_init(**_: Any) -> None:
    # A pool process (forked by the worker) dies with the worker, even on SIGKILL.
    die_with_parent(os.getppid())


def _settings(config: Path | None, settings_file: Path | None, scratch: Path) -> Settings:
    """The platform's settings with the scratch directory as the data directory."""
    if settings_file is None:
        return load_settings(config, data_dir=scratch)
    platform = Settings.from_child_json(settings_file.read_text())
    # What depends on the data directory (database files, the local store) is derived on use.
    return platform.model_copy(update={"data_dir": scratch})


def worker(
    scratch: Path = typer.Option(
        ..., "--scratch", help="This worker's own scratch directory (never the platform's)."
    ),
    broker: str | None = typer.Option(
        None, "--broker", help="Broker URL; default pipeline.broker_url (amqp://...)."
    ),
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        min=1,
        help="Worker processes; default: pipeline.workers, else the CPU count.",
    ),
    queue: str | None = typer.Option(None, "--queue", help="Default: pipeline.celery_queue."),
    config: Path | None = ConfigFile,
    settings_file: Path | None = typer.Option(
        None,
        "--settings-file",
        help="Settings written by `vodstack up` (a worker it supervises); replaces --config.",
    ),
) -> None:
    """Run pipeline tasks sent through the broker, reading and writing the object store."""
    # Imported here: only this command and the Celery executor load Celery.
    from celery.signals import worker_process_init

    from vodstack.pipeline.jobs.celery_app import celery_app, host_queue_name, redacted
    from vodstack.pipeline.jobs.celery_tasks import WorkerHost, register_task

    settings = _settings(config, settings_file, scratch.resolve())
    configure_logging("pipeline-worker", settings.log_level)
    if settings.storage.backend is not StorageBackend.S3:
        console.print(
            "[yellow]warning:[/] storage.backend is not s3: this worker reads and writes "
            f"{settings.data_dir / 'objects'}, which only works on the platform's own host"
        )
    if os.getppid() != 1:
        die_with_parent(os.getppid())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    broker_url = broker or settings.pipeline.broker_url
    queue_name = queue or settings.pipeline.celery_queue
    own_queue = host_queue_name(queue_name)
    app = celery_app(broker_url, queue_name, own_queue)
    register_task(app, WorkerHost(settings, broker_url, own_queue))
    worker_process_init.connect(_pool_process_init, weak=False)
    processes = concurrency or settings.pipeline.workers or os.cpu_count() or 1
    console.print(
        f"worker: {processes} processes on {queue_name} at {redacted(broker_url)}, "
        f"scratch {settings.data_dir}"
    )
    runner = app.Worker(
        concurrency=processes,
        pool_cls="prefork",
        hostname=f"vodstack-worker@{socket.gethostname()}.{os.getpid()}",
        queues=[queue_name, own_queue],
        without_gossip=True,
        without_mingle=True,
        without_heartbeat=True,
        loglevel=settings.log_level.upper(),
        optimization="fair",
        quiet=True,
    )
    runner.start()
    raise typer.Exit(runner.exitcode or 0)
