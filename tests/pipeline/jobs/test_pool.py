"""Worker processes: a pool runs jobs, and survives its workers being killed with SIGKILL."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.pipeline.jobs.orchestration_fakes import configure, executions
from tests.support.waiting import eventually
from vodstack.config.settings import Settings
from vodstack.contracts.pipeline import JobDetail
from vodstack.pipeline.jobs.pool import WorkerPool, owner_is_dead, worker_cores
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState

FAKE = "tests.pipeline.jobs.orchestration_fakes:FakeExecutor"


@pytest.fixture
def pool(settings: Settings) -> Iterator[WorkerPool]:
    workers = WorkerPool(settings, executor_ref=FAKE, size=2)
    workers.start()
    yield workers
    workers.stop(grace_s=2)


def _done(sessions: sessionmaker[Session], job_id: int) -> Callable[[], bool]:
    return lambda: job_detail(sessions, job_id).state.terminal


def test_worker_processes_run_a_job(
    settings: Settings, pool: WorkerPool, sessions: sessionmaker[Session]
) -> None:
    configure(settings.data_dir, sleep_s=0.1)
    job_id = JobQueue(sessions, settings.pipeline).create_job(1, "masters/1/a.mp4")
    eventually(_done(sessions, job_id), timeout_s=60)
    job = job_detail(sessions, job_id)
    assert job.state is JobState.SUCCEEDED
    pids = {line.split()[1] for line in executions(settings.data_dir)}
    assert pids <= {str(pid) for pid in pool.pids}
    assert len(pids) == 2, "both workers took tasks"


def _finished_encodes(job: JobDetail) -> dict[str, tuple[float | None, int, int]]:
    return {
        t.name: (t.finished_at, t.attempts, t.executions)
        for t in job.tasks
        if t.kind is TaskKind.ENCODE and t.state is TaskState.SUCCEEDED
    }


def test_kill_9_of_the_workers_mid_job_resumes_without_redoing_finished_tasks(
    settings: Settings, pool: WorkerPool, sessions: sessionmaker[Session]
) -> None:
    configure(settings.data_dir, sleep_s=0.5, renditions=["240p", "360p"], chunks=4)
    job_id = JobQueue(sessions, settings.pipeline).create_job(1, "masters/1/a.mp4")
    eventually(lambda: len(_finished_encodes(job_detail(sessions, job_id))) >= 3, timeout_s=60)
    victims = pool.pids
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    before = _finished_encodes(job_detail(sessions, job_id))
    eventually(
        lambda: all(owner_is_dead(f"{os.uname().nodename}:{p}:0") for p in victims), timeout_s=60
    )
    eventually(_done(sessions, job_id), timeout_s=60)

    job = job_detail(sessions, job_id)
    assert job.state is JobState.SUCCEEDED
    after = _finished_encodes(job)
    for name, record in before.items():
        assert after[name] == record, f"{name} was re-run"
    ran = [line.split()[0] for line in executions(settings.data_dir)]
    assert all(ran.count(name) == 1 for name in before)
    interrupted = [t for t in job.tasks if t.attempts > 1]
    assert interrupted, "the tasks running at the kill were reclaimed and run again"
    assert set(pool.pids).isdisjoint(victims), "dead workers were replaced"


def test_single_threaded_workers_are_pinned_to_a_core_each(settings: Settings) -> None:
    cores = sorted(os.sched_getaffinity(0))
    single = settings.model_copy(
        update={"pipeline": settings.pipeline.model_copy(update={"encoder_threads": 1})}
    )
    assert worker_cores(single, 1) == cores[:1]
    assert worker_cores(single, len(cores)) == cores
    assert worker_cores(single, len(cores) + 1) is None, "more workers than cores: the OS places"
    assert worker_cores(settings, 1) is None, "multi-threaded ffmpeg: the OS places"
    workers = WorkerPool(single, executor_ref=FAKE, size=1)
    workers.start()
    try:
        (pid,) = workers.pids
        eventually(lambda: os.sched_getaffinity(pid) == {cores[0]}, timeout_s=30)
    finally:
        workers.stop(grace_s=2)
