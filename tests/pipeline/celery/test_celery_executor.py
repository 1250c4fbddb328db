"""The Celery executor: the same DAG on `vodstack worker` processes that share no disk or
database with the controller, through the machine's RabbitMQ and a SeaweedFS S3."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.pipeline.celery.celery_support import (
    TEST_LADDER,
    assert_plays,
    controller,
    download_version,
)
from tests.pipeline.jobs.orchestration_fakes import FakeExecutor, configure, drain, executions
from tests.support.celery_workers import (
    NOBODY,
    WorkerProcess,
    command_line,
    descendants,
    network_namespace,
    new_scratch,
    remove_scratch,
    start_worker,
)
from tests.support.seaweedfs import SeaweedFS
from tests.support.waiting import eventually
from vodstack.config.settings import PipelineSettings, load_settings
from vodstack.contracts.pipeline import JobDetail
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.media_tasks import MediaTaskExecutor
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState
from vodstack.pipeline.jobs.worker import Worker
from vodstack.pipeline.media import Pattern, make_synthetic
from vodstack.storage import LocalObjectStore

FAKE = f"{FakeExecutor.__module__}:FakeExecutor"


def _clip(path: Path, seconds: float) -> Path:
    return make_synthetic(path, Pattern.TESTSRC2, duration_s=seconds, width=320, height=240)


def _shape(job: JobDetail) -> list[tuple[str, TaskState, int, int]]:
    return sorted((t.name, t.state, t.attempts, t.executions) for t in job.tasks)


def _local_job(data_dir: Path, clip: Path) -> JobDetail:
    """The same clip through a local worker, same pipeline settings (the reference)."""
    pipeline = PipelineSettings(
        chunk_s=4.0, ladder=TEST_LADDER, encoder_threads=1, align_chunks_to_keyframes=False
    )
    settings = load_settings(data_dir=data_dir, pipeline=pipeline)
    engine, sessions = open_database(settings)
    store = LocalObjectStore(data_dir / "objects")
    store.put_file("masters/1/m.mp4", clip)
    queue = JobQueue(sessions, settings.pipeline)
    job_id = queue.create_job(1, "masters/1/m.mp4")
    worker = Worker(
        settings=settings,
        queue=queue,
        store=store,
        executor=MediaTaskExecutor(settings),
        owner="test:1:0",
        stop=threading.Event(),
    )
    drain(worker)
    job = job_detail(sessions, job_id)
    engine.dispose()
    return job


@pytest.mark.slow
def test_a_job_on_celery_workers_ends_as_it_does_on_local_workers(
    tmp_path: Path, seaweedfs: SeaweedFS, task_queue: str
) -> None:
    clip = _clip(tmp_path / "clip.mp4", 5)
    scratch = new_scratch()
    with controller(tmp_path / "controller", seaweedfs, task_queue, workers=2) as ctl:
        worker = start_worker(
            scratch=scratch, queue=task_queue, env=seaweedfs.env(ctl.bucket), concurrency=2
        )
        try:
            job = ctl.wait_until_ended(ctl.submit(clip), workers=[worker])
            assert job.state is JobState.SUCCEEDED, (job.error, worker.output()[-3000:])
            assert job.published and job.preview_version is None  # 240p: no preview pass
            # Removed right after the last task is recorded (the job is already succeeded).
            eventually(lambda: ctl.store.list("work/") == [], message="work/ is left behind")
            assert_plays(download_version(ctl.store, 1, job.asset_version, tmp_path / "v"))
        finally:
            worker.stop()
            remove_scratch(scratch)
    local = _local_job(tmp_path / "local", clip)
    assert local.state is JobState.SUCCEEDED
    assert _shape(job) == _shape(local), "same tasks, states, attempts and runs"
    assert job.analysis == local.analysis
    assert not (scratch / "work").exists() or not any((scratch / "work").rglob("*.nut"))


# What the sandboxed worker must not reach: the controller's database file, PostgreSQL,
# RabbitMQ and Redis on the host's loopback (it reaches the broker and S3 only through the
# namespace's link, at the addresses it was given).
_SANDBOX_CHECK = """
import socket, sys
from pathlib import Path
try:
    Path(sys.argv[1]).read_bytes()
    sys.exit("read the controller's database")
except PermissionError:
    pass
for port in (5432, 5672, 6379):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        sys.exit(f"reached 127.0.0.1:{port}")
    except OSError:
        pass
"""


@pytest.mark.slow
def test_a_worker_in_its_own_network_namespace_without_the_data_dir_encodes_a_playable_title(
    tmp_path: Path, seaweedfs: SeaweedFS, task_queue: str
) -> None:
    clip = _clip(tmp_path / "clip.mp4", 5)
    scratch = new_scratch(owner=NOBODY)
    with (
        network_namespace() as namespace,
        controller(tmp_path / "controller", seaweedfs, task_queue) as ctl,
    ):
        broker_host, broker_port = namespace.expose(("127.0.0.1", 5672))
        s3_port = urlsplit(seaweedfs.endpoint).port
        assert s3_port is not None
        s3_host, s3_forward = namespace.expose(("127.0.0.1", s3_port))
        wrapper = namespace.wrapper(user=NOBODY)
        database = ctl.settings.data_dir / "db" / "pipeline.sqlite"
        assert database.is_file()
        sandbox = subprocess.run(
            [*wrapper, sys.executable, "-c", _SANDBOX_CHECK, str(database)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert sandbox.returncode == 0, sandbox.stdout + sandbox.stderr
        env = {
            **seaweedfs.env(ctl.bucket),
            "VODSTACK_STORAGE__S3_ENDPOINT": f"http://{s3_host}:{s3_forward}",
        }
        worker = start_worker(
            scratch=scratch,
            queue=task_queue,
            env=env,
            broker_url=f"amqp://guest:guest@{broker_host}:{broker_port}//",
            wrapper=wrapper,
        )
        try:
            job = ctl.wait_until_ended(ctl.submit(clip), workers=[worker])
            assert job.state is JobState.SUCCEEDED, (job.error, worker.output()[-3000:])
            assert_plays(download_version(ctl.store, 1, job.asset_version, tmp_path / "v"))
            owners = {path.stat().st_uid for path in scratch.rglob("*")}
            assert owners <= {NOBODY}, "the worker ran as nobody"
        finally:
            worker.stop()
            remove_scratch(scratch)


def _task_ffmpeg(worker: WorkerProcess) -> tuple[int, int] | None:
    """(pool process, its ffmpeg) while one of the worker's tasks runs ffmpeg."""
    for pool in worker.pool_pids():
        for child in descendants(pool):
            if "ffmpeg" in command_line(child):
                return pool, child
    return None


def _busy(workers: list[WorkerProcess]) -> tuple[WorkerProcess, int, int] | None:
    for worker in workers:
        found = _task_ffmpeg(worker)
        if found is not None:
            return worker, *found
    return None


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["pool process", "whole worker"])
def test_a_worker_killed_mid_task_has_its_task_redelivered_and_the_job_completes(
    tmp_path: Path, seaweedfs: SeaweedFS, task_queue: str, victim: str
) -> None:
    clip = _clip(tmp_path / "clip.mp4", 9)
    scratches = [new_scratch(), new_scratch()]
    with controller(tmp_path / "controller", seaweedfs, task_queue) as ctl:
        # Two worker hosts of one process each; one task in flight at a time (workers=1).
        env = seaweedfs.env(ctl.bucket)
        workers = [start_worker(scratch=s, queue=task_queue, env=env) for s in scratches]
        try:
            job_id = ctl.submit(clip)
            worker, pool, ffmpeg = eventually(
                lambda: _busy(workers),
                timeout_s=180,
                interval_s=0.01,
                message="no task ever ran ffmpeg",
            )
            running = [t.name for t in ctl.job(job_id).tasks if t.state is TaskState.RUNNING]
            if victim == "pool process":
                os.kill(pool, signal.SIGKILL)  # its worker rejects the message: requeued
            else:
                os.kill(worker.process.pid, signal.SIGKILL)  # its connection closes
                worker.process.wait()
                # Nothing it started survives it (parent-death signal).
                eventually(lambda: not Path(f"/proc/{pool}").exists(), timeout_s=10)
            eventually(lambda: not Path(f"/proc/{ffmpeg}").exists(), timeout_s=10)
            job = ctl.wait_until_ended(job_id)
            logs = "\n".join(w.output()[-4000:] for w in workers)
            assert job.state is JobState.SUCCEEDED, (job.error, logs)
            assert ctl.dispatcher.redelivered == running, ("the killed task came back", logs)
            killed = next(t for t in job.tasks if t.name == running[0])
            assert killed.attempts == 2, "the lost run counts as an attempt"
        finally:
            for worker in workers:
                worker.stop()
            for scratch in scratches:
                remove_scratch(scratch)


@pytest.mark.slow
def test_progress_reaches_the_controller_and_a_cancel_stops_the_task_on_its_worker(
    tmp_path: Path, seaweedfs: SeaweedFS, task_queue: str
) -> None:
    # The fake executor's encodes take 30 s, reporting progress every 3 s and watching the
    # cancel token (the media executor hands that token to ffmpeg's runner, which kills it).
    scratch = new_scratch()
    configure(scratch, renditions=["240p"], chunks=1, sleep_s=30.0)
    with controller(
        tmp_path / "controller", seaweedfs, task_queue, executor_ref=FAKE, lease_s=3.0
    ) as ctl:
        worker = start_worker(scratch=scratch, queue=task_queue, env=seaweedfs.env(ctl.bucket))
        try:
            master = tmp_path / "not-read.mp4"
            master.write_bytes(b"the fake executor never reads it")
            job_id = ctl.submit(master)

            def encoding() -> bool:
                job = ctl.job(job_id)
                return any(t.kind is TaskKind.ENCODE and t.progress > 0 for t in job.tasks)

            eventually(encoding, timeout_s=120, interval_s=0.05, message="no encode progress")
            ctl.queue.cancel_job(job_id)
            # The job's tasks are cancelled in the database: the lease is gone, as a local
            # worker's heartbeat also sees it ("lost"); the worker stops the task at once.
            stopped = f"encode:240p:00000 of job {job_id} stopped (lost)"
            eventually(lambda: stopped in worker.output(), timeout_s=20)
            assert ctl.job(job_id).state is JobState.CANCELLED
            eventually(lambda: ctl.dispatcher.in_flight == 0, timeout_s=10)
            runs = [line for line in executions(scratch) if line.startswith("encode:")]
            assert len(runs) == 1, "stopped, never run again"
        finally:
            worker.stop()
            remove_scratch(scratch)
