"""A controller (the Celery dispatcher over a pipeline database and an S3 bucket) for the tests,
and checks that a published title plays."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from tests.support.celery_workers import BROKER_URL, WorkerProcess
from tests.support.seaweedfs import SeaweedFS
from tests.support.waiting import eventually
from vodstack.config.settings import PipelineSettings, Settings, load_settings
from vodstack.contracts.pipeline import JobDetail
from vodstack.delivery.assets import asset_key_prefix
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.dispatch import CeleryDispatcher
from vodstack.pipeline.jobs.executor import DEFAULT_EXECUTOR
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.media import ffmpeg_exe, validate_asset
from vodstack.storage.s3 import S3ObjectStore

# A reduced ladder for a 320x240 source: two rungs, cheap bitrates; 4 s chunks.
TEST_LADDER = [(144, 150), (240, 300)]
MASTER_KEY = "masters/1/m.mp4"


def pipeline_settings(queue: str, **options: object) -> PipelineSettings:
    return PipelineSettings.model_validate(
        {
            "executor": "celery",
            "broker_url": BROKER_URL,
            "celery_queue": queue,
            "workers": 1,
            "chunk_s": 4.0,
            "ladder": TEST_LADDER,
            "encoder_threads": 1,
            "align_chunks_to_keyframes": False,
            "lease_s": 6.0,
            "poll_s": 0.05,
            "retry_backoff_s": 0.2,
            **options,
        }
    )


@dataclass
class Controller:
    settings: Settings
    sessions: sessionmaker[Session]
    queue: JobQueue
    store: S3ObjectStore
    bucket: str
    dispatcher: CeleryDispatcher

    def submit(self, master: Path) -> int:
        self.store.put_file(MASTER_KEY, master)
        return self.queue.create_job(1, MASTER_KEY)

    def job(self, job_id: int) -> JobDetail:
        return job_detail(self.sessions, job_id)

    def wait_until_ended(
        self, job_id: int, timeout_s: float = 300.0, workers: Sequence[WorkerProcess] = ()
    ) -> JobDetail:
        """The job once it ended; a worker of `workers` that exits meanwhile fails at once,
        with its log (a worker that cannot start would otherwise cost the whole timeout)."""

        def ended() -> JobDetail | None:
            for worker in workers:
                code = worker.process.poll()
                assert code is None, f"the worker exited ({code}):\n{worker.output()[-3000:]}"
            job = self.job(job_id)
            return job if job.state.terminal else None

        return eventually(
            ended, timeout_s=timeout_s, interval_s=0.2, message=f"job {job_id} never ended"
        )


@contextmanager
def controller(
    data_dir: Path,
    seaweedfs: SeaweedFS,
    queue: str,
    *,
    executor_ref: str = DEFAULT_EXECUTOR,
    **options: object,
) -> Iterator[Controller]:
    """The controller's side: its own data dir (database), a fresh bucket, the dispatcher."""
    bucket = f"t-{secrets.token_hex(8)}"
    storage = seaweedfs.settings(bucket)
    settings = load_settings(
        data_dir=data_dir, pipeline=pipeline_settings(queue, **options), storage=storage
    )
    store = S3ObjectStore.from_settings(storage)
    store.ensure_bucket()
    engine, sessions = open_database(settings)
    dispatcher = CeleryDispatcher(settings, executor_ref=executor_ref)
    dispatcher.start()
    try:
        yield Controller(
            settings, sessions, JobQueue(sessions, settings.pipeline), store, bucket, dispatcher
        )
    finally:
        dispatcher.stop(grace_s=0)
        engine.dispose()


def download_version(store: S3ObjectStore, title_id: int, version: str, dest: Path) -> Path:
    prefix = asset_key_prefix(title_id, version)
    for key in store.list(prefix + "/"):
        store.fetch(key, dest / key[len(prefix) + 1 :])
    return dest


def assert_plays(root: Path) -> None:
    """The version validates (playlists list exactly the segments there, every segment decodes
    with PyAV), and each video rendition, init + media segments, decodes with ffmpeg."""
    report = validate_asset(root)
    assert report.renditions, "no rendition was published"
    master = (root / "master.m3u8").read_text()
    playlists = [line for line in master.splitlines() if line and not line.startswith("#")]
    assert playlists, master
    for playlist in playlists:
        folder = (root / playlist).parent
        lines = (root / playlist).read_text().splitlines()
        segments = [folder / line for line in lines if line and not line.startswith("#")]
        assert segments, f"{playlist} lists no segment"
        joined = folder / "joined.mp4"
        joined.write_bytes(
            (folder / "init.mp4").read_bytes() + b"".join(s.read_bytes() for s in segments)
        )
        decoded = subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-xerror", "-i", str(joined), "-f", "null", "-"],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert decoded.returncode == 0, f"{playlist}: {decoded.stderr}"
