"""What the pipeline service holds while it runs: database, store, queue, uploads, workers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from vodstack.config.settings import Settings
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.runners import TaskRunner
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
    pool: TaskRunner | None = None
    upload_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

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
        return cls(settings, engine, sessions, store, queue, uploads)

    def healthy(self) -> bool:
        return self.pool is None or self.pool.healthy()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.stop()
        self.engine.dispose()
