"""What a pipeline process holds while it runs: database, store, queue, uploads, their writer
leases, and the worker pool where this process runs it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import Settings
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.runners import TaskRunner
from vodstack.pipeline.service.upload_lease import UploadLeases
from vodstack.pipeline.service.uploads import SourceCheck, Uploads
from vodstack.storage import ObjectStore, open_object_store


@dataclass
class PipelineRuntime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore
    queue: JobQueue
    uploads: Uploads
    leases: UploadLeases
    pool: TaskRunner | None = None

    @classmethod
    def open(cls, settings: Settings, check: SourceCheck) -> PipelineRuntime:
        engine, sessions = open_database(settings)
        store = open_object_store(settings)
        queue = JobQueue(sessions, settings.pipeline)
        uploads = Uploads(
            sessions,
            store,
            queue,
            settings.data_dir / "uploads",
            max_bytes=settings.pipeline.max_upload_bytes,
            check=check,
        )
        leases = UploadLeases(sessions, settings.pipeline.upload_lease_s)
        return cls(settings, engine, sessions, store, queue, uploads, leases)

    def healthy(self) -> bool:
        return self.pool is None or self.pool.healthy()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.stop()
        self.engine.dispose()
