"""The split window (bounded mezzanines on disk), low rungs first within it, lost inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.pipeline.jobs.orchestration_fakes import configure, drain, executions
from vodstack.config.settings import PipelineSettings, Settings, load_settings
from vodstack.pipeline.jobs.dag import JobPlan
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import ClaimedTask, JobQueue, open_chunks, split_window
from vodstack.pipeline.jobs.scratch import mezzanine_path, sweep_scratch
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState
from vodstack.pipeline.jobs.worker import Worker

WINDOW = 2


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    pipeline = PipelineSettings(
        workers=4, split_window=WINDOW, lease_s=3.0, poll_s=0.05, retry_backoff_s=1.0
    )
    return load_settings(data_dir=tmp_path / "data", pipeline=pipeline)


def _names(settings: Settings) -> list[str]:
    return [line.split()[0] for line in executions(settings.data_dir)]


def _open_chunks_over_time(order: list[str]) -> list[int]:
    open_chunks: set[str] = set()
    sizes = []
    for name in order:
        kind, _, chunk = name.partition(":")
        if kind == "split":
            open_chunks.add(chunk)
        elif kind == "discard":
            open_chunks.discard(chunk)
        sizes.append(len(open_chunks))
    return sizes


def _planned(queue: JobQueue, plan: JobPlan) -> int:
    """A job whose PROBE succeeded (by hand), so its DAG is expanded."""
    job_id = queue.create_job(1, "masters/1/a.mp4")
    task = queue.claim("setup:1:0")
    assert task is not None and task.kind is TaskKind.PROBE
    queue.succeed(task.id, "setup:1:0", executed=True, plan=plan)
    return job_id


def _claim_all(queue: JobQueue) -> list[ClaimedTask]:
    claimed: list[ClaimedTask] = []
    while (task := queue.claim(f"w:{len(claimed)}:0")) is not None:
        claimed.append(task)
    return claimed


def test_the_window_defaults_to_one_more_chunk_than_workers() -> None:
    assert split_window(PipelineSettings(workers=2)) == 3
    assert split_window(PipelineSettings(workers=2, split_window=5)) == 5


def test_no_more_chunks_are_split_than_the_window_allows(queue: JobQueue) -> None:
    _planned(queue, JobPlan(renditions=["240p", "360p"], chunks=5))
    first = _claim_all(queue)  # as many idle workers as there are tasks
    splits = [t for t in first if t.kind is TaskKind.SPLIT]
    assert [t.chunk for t in splits] == [0, 1], "the window holds two chunks"
    assert {t.kind for t in first} == {
        TaskKind.AUDIO,
        TaskKind.SPLIT,
        TaskKind.ANALYZE,
        TaskKind.THUMBS,
    }
    for task in first:
        queue.succeed(task.id, f"w:{first.index(task)}:0", executed=True)
    encodes = _claim_all(queue)
    assert {(t.kind, t.chunk) for t in encodes} == {(TaskKind.ENCODE, c) for c in (0, 1)}
    assert len(encodes) == 4, "both rungs of both open chunks, and no third split"
    for index, task in enumerate(encodes):
        queue.succeed(task.id, f"w:{index}:0", executed=True)
    discards = _claim_all(queue)
    assert [(t.kind, t.chunk) for t in discards] == [(TaskKind.DISCARD, 0), (TaskKind.DISCARD, 1)]
    queue.succeed(discards[0].id, "w:0:0", executed=True)
    (third,) = [t for t in _claim_all(queue) if t.kind is TaskKind.SPLIT]
    assert third.chunk == 2, "a discarded chunk frees its slot"


def test_one_worker_goes_chunk_by_chunk_splitting_just_in_time(
    settings: Settings, queue: JobQueue, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    configure(settings.data_dir, renditions=["240p", "360p", "720p"], chunks=5)
    job_id = queue.create_job(1, "masters/1/a.mp4")
    drain(worker)
    assert job_detail(sessions, job_id).state is JobState.SUCCEEDED
    order = _names(settings)
    rungs = ("720p", "360p", "240p")  # the largest first: the longest task first
    expected = [
        name
        for c in range(5)
        for name in (f"split:{c:05d}", *(f"encode:{r}:{c:05d}" for r in rungs), f"discard:{c:05d}")
    ]
    assert [n for n in order if n.split(":")[0] in ("split", "encode", "discard")] == expected
    assert max(_open_chunks_over_time(order)) == 1


def _run_as_many_workers(queue: JobQueue) -> list[int]:
    """Claim every ready task (an idle worker each), finish them all, repeat; returns the open
    mezzanines after each round."""
    open_sizes = []
    while claimed := _claim_all(queue):
        open_sizes.append(sum(1 for t in claimed if t.kind is TaskKind.SPLIT))
        for index, task in enumerate(claimed):
            queue.succeed(task.id, f"w:{index}:0", executed=True)
        with queue._sessions() as session:
            open_sizes[-1] = open_chunks(session)
    return open_sizes


def test_preview_and_full_size_mezzanines_share_the_window(
    queue: JobQueue, sessions: sessionmaker[Session]
) -> None:
    job_id = _planned(queue, JobPlan(renditions=["240p", "720p"], chunks=6, preview=["240p"]))
    sizes = _run_as_many_workers(queue)
    job = job_detail(sessions, job_id)
    assert job.state is JobState.SUCCEEDED
    assert max(sizes) == WINDOW and sizes[-1] == 0
    finished = {t.name: t.finished_at or 0.0 for t in job.tasks}
    assert finished["publish:preview"] <= min(
        at for name, at in finished.items() if name.startswith("encode:720p")
    )


def test_a_lost_mezzanine_reruns_its_split_without_using_an_attempt(
    settings: Settings, queue: JobQueue, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    configure(settings.data_dir, chunks=3, lost={"encode:360p:00001": 1})
    job_id = queue.create_job(1, "masters/1/a.mp4")
    drain(worker)
    job = job_detail(sessions, job_id)
    assert job.state is JobState.SUCCEEDED, job.error
    order = _names(settings)
    assert order.count("split:00001") == 2, "the split ran again"
    assert order.count("encode:360p:00001") == 2
    lost_run = order.index("encode:360p:00001")
    assert order.index("split:00001", lost_run) < order.index("encode:360p:00001", lost_run + 1)
    tasks = {t.name: t for t in job.tasks}
    assert tasks["encode:360p:00001"].attempts == 1, "the lost-input run did not count"
    assert tasks["split:00001"].state is TaskState.SUCCEEDED


def test_scratch_of_jobs_that_ended_is_swept(tmp_path: Path) -> None:
    for job in (1, 2):
        path = mezzanine_path(tmp_path, job, 0)
        path.parent.mkdir(parents=True)
        path.write_bytes(b"frames")
    assert sweep_scratch(tmp_path, live_jobs={2}) == [1]
    assert not mezzanine_path(tmp_path, 1, 0).exists()
    assert mezzanine_path(tmp_path, 2, 0).exists()
