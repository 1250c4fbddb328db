"""Scheduling, idempotency, retries, failure and cancel, with workers run in this process."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.pipeline.jobs.orchestration_fakes import configure, drain, executions
from tests.support.clock import FakeMonotonic
from tests.support.waiting import eventually
from vodstack.config.settings import Settings
from vodstack.pipeline.jobs.progress import job_detail, list_jobs
from vodstack.pipeline.jobs.queue import JobFinishedError, JobQueue, Publication
from vodstack.pipeline.jobs.states import JobState, TaskState
from vodstack.pipeline.jobs.worker import Worker
from vodstack.storage import ObjectStore


def _names(settings: Settings) -> list[str]:
    return [line.split()[0] for line in executions(settings.data_dir)]


def test_job_runs_to_a_published_asset(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    store: ObjectStore,
    sessions: sessionmaker[Session],
) -> None:
    configure(settings.data_dir)
    job_id = queue.create_job(title_id=4, source_key="masters/4/u.mp4")
    drain(worker)
    job = job_detail(sessions, job_id)
    assert job.state is JobState.SUCCEEDED
    assert job.progress == 1.0
    assert all(t.state is TaskState.SUCCEEDED and t.executions == 1 for t in job.tasks)
    prefix = f"titles/4/{job.asset_version}/"
    published = store.list(prefix)
    assert {key.removeprefix(prefix) for key in published} == {
        "asset.json",
        "master.m3u8",
        "quality.json",
        "poster.jpg",
        "thumbs/sprite_001.jpg",
    }
    assert json.loads(store.read_bytes(prefix + "quality.json")) == {"vmaf": 95.0}
    assert store.list("work/") == [], "intermediate outputs are removed once published"
    assert [r.chunks_done for r in job.renditions] == [3, 3]
    assert [(p.job_id, p.title_id, p.asset_version, p.preview) for p in _outbox(queue)] == [
        (job_id, 4, job.asset_version, False)
    ]
    # The probe's half of the analysis and ANALYZE's complexity, merged into one record.
    assert job.analysis == {"duration_s": 12.0, "complexity": {"proxy_kbps": 100.0}}


def _outbox(queue: JobQueue) -> list[Publication]:
    return queue.unsynced_publications()


def test_low_renditions_are_encoded_and_published_first_as_a_preview(
    settings: Settings, queue: JobQueue, worker: Worker, store: ObjectStore
) -> None:
    configure(
        settings.data_dir, renditions=["240p", "360p", "720p"], chunks=2, preview=["240p", "360p"]
    )
    job_id = queue.create_job(1, "masters/1/a.mp4")
    while "publish:preview" not in _names(settings):
        assert worker.run_once()
    order = _names(settings)
    assert order[:3] == ["probe", "audio", "split:preview:00000"]
    assert "analyze" not in order, "the complexity estimate waits for the tail"
    assert not [n for n in order if n.startswith("encode:720p")], "nothing of the main pass yet"
    assert {n for n in order if n.startswith("encode:")} == {
        f"encode:{rung}:{chunk:05d}" for rung in ("240p", "360p") for chunk in (0, 1)
    }
    (preview,) = _outbox(queue)
    assert (preview.job_id, preview.preview) == (job_id, True)
    prefix = f"titles/1/{preview.asset_version}/"
    assert preview.asset_version.endswith("-preview")
    published = {key.removeprefix(prefix) for key in store.list(prefix)}
    assert published == {"asset.json", "master.m3u8"}, "no poster, thumbnails or VMAF"
    assert json.loads(store.read_bytes(prefix + "asset.json"))["renditions"] == ["240p", "360p"]
    assert store.exists(f"work/{job_id}/renditions/240p.mp4"), "the main package reuses them"
    queue.mark_synced(preview.id)
    drain(worker)
    order = _names(settings)
    assert [n for n in order if n.startswith("encode:")][4:] == [
        "encode:720p:00000",
        "encode:720p:00001",
    ]
    assert order[-2:] == ["publish", "quality"], "VMAF reports on the published version"
    (final,) = _outbox(queue)
    assert not final.preview and not final.asset_version.endswith("-preview")


def test_a_preview_never_replaces_a_complete_version(
    settings: Settings, queue: JobQueue, worker: Worker
) -> None:
    configure(settings.data_dir, renditions=["240p", "720p"], chunks=1, preview=["240p"])
    queue.create_job(1, "masters/1/a.mp4")
    drain(worker)
    assert [p.preview for p in _outbox(queue)] == [False], "its own job finished first"
    for entry in _outbox(queue):
        queue.mark_synced(entry.id)
    queue.create_job(1, "masters/1/b.mp4")  # a re-encode of a published title
    while "publish:preview" not in [n.split()[0] for n in executions(settings.data_dir)][-1:]:
        assert worker.run_once()
    assert _outbox(queue) == [], "the title already has a complete version"


def test_a_task_whose_output_exists_is_not_run_again(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    store: ObjectStore,
    sessions: sessionmaker[Session],
) -> None:
    configure(settings.data_dir, chunks=2)
    job_id = queue.create_job(1, "masters/1/a.mp4")
    drain_until = {"probe", "audio"}
    while set(_names(settings)) < drain_until:
        assert worker.run_once()
    # As if a worker had written this chunk and died before recording it.
    store.put_bytes(f"work/{job_id}/chunks/240p/00001.mp4", b"already encoded")
    drain(worker)
    assert "encode:240p:00001" not in _names(settings)
    task = next(t for t in job_detail(sessions, job_id).tasks if t.name == "encode:240p:00001")
    assert (task.state, task.executions) == (TaskState.SUCCEEDED, 0)


def test_failed_task_retries_after_exponential_backoff(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    clock: FakeMonotonic,
    sessions: sessionmaker[Session],
) -> None:
    configure(settings.data_dir, fail={"probe": 2})
    job_id = queue.create_job(1, "masters/1/a.mp4")
    assert worker.run_once()  # attempt 1 fails
    assert not worker.run_once(), "back-off: not claimable yet"
    clock.advance(queue.retry_delay(1))
    assert worker.run_once()  # attempt 2 fails
    clock.advance(queue.retry_delay(1))
    assert not worker.run_once(), "the second back-off is longer"
    assert queue.retry_delay(2) == 2 * queue.retry_delay(1)
    clock.advance(queue.retry_delay(2))
    drain(worker)
    job = job_detail(sessions, job_id)
    assert job.state is JobState.SUCCEEDED
    probe = job.tasks[0]
    assert (probe.name, probe.attempts, probe.executions) == ("probe", 3, 3)


def test_after_max_attempts_the_job_fails_with_the_task_error(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    clock: FakeMonotonic,
    store: ObjectStore,
    sessions: sessionmaker[Session],
) -> None:
    configure(settings.data_dir, fail={"encode:360p:00002": 99})
    job_id = queue.create_job(1, "masters/1/a.mp4")
    for _ in range(10):
        drain(worker)
        clock.advance(100)
    job = job_detail(sessions, job_id)
    assert job.state is JobState.FAILED
    assert job.error is not None
    assert "encode:360p:00002 failed after 3 attempts" in job.error
    assert "transient failure #3" in job.error
    assert _names(settings).count("encode:360p:00002") == settings.pipeline.max_attempts
    assert "publish" not in _names(settings)
    assert not any(t.state in (TaskState.READY, TaskState.WAITING) for t in job.tasks)
    assert store.list("titles/") == []


def test_a_permanent_error_fails_the_job_at_once(
    settings: Settings, queue: JobQueue, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    configure(settings.data_dir, fatal=["probe"])
    job_id = queue.create_job(1, "masters/1/a.mp4")
    drain(worker)
    job = job_detail(sessions, job_id)
    assert job.state is JobState.FAILED
    assert job.error == "probe failed (not retryable): probe: the source is broken"
    assert _names(settings) == ["probe"]


def test_cancel_stops_the_running_task_and_publishes_nothing(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    store: ObjectStore,
    sessions: sessionmaker[Session],
) -> None:
    configure(settings.data_dir, sleep_s=30.0, chunks=1)
    job_id = queue.create_job(1, "masters/1/a.mp4")
    while "split:00000" not in _names(settings):
        assert worker.run_once()
    runner = threading.Thread(target=worker.run_once)  # encode:360p, 30 s unless cancelled
    runner.start()
    eventually(lambda: "encode:360p:00000" in _names(settings), timeout_s=5, interval_s=0.02)
    started = time.monotonic()
    queue.cancel_job(job_id)
    runner.join(timeout=10)
    assert not runner.is_alive()
    assert time.monotonic() - started < 5, "the heartbeat noticed the cancel"
    job = job_detail(sessions, job_id)
    assert job.state is JobState.CANCELLED
    assert all(t.state in (TaskState.SUCCEEDED, TaskState.CANCELLED) for t in job.tasks)
    assert not worker.run_once()
    assert store.list("titles/") == []
    with pytest.raises(JobFinishedError):
        queue.cancel_job(job_id)


def test_an_expired_lease_makes_the_task_claimable_again(
    settings: Settings, queue: JobQueue, clock: FakeMonotonic, sessions: sessionmaker[Session]
) -> None:
    job_id = queue.create_job(1, "masters/1/a.mp4")
    first = queue.claim("dead-host:1:0")
    assert first is not None
    assert queue.claim("other:2:0") is None, "probe is leased; nothing else exists yet"
    assert queue.reap_expired() == []
    clock.advance(settings.pipeline.lease_s + 1)
    assert queue.reap_expired() == [first.id]
    again = queue.claim("other:2:0")
    assert again is not None
    assert (again.id, again.attempt) == (first.id, 2)
    # The dead worker's late report is refused: the lease is no longer its.
    assert not queue.succeed(first.id, "dead-host:1:0", executed=True)
    # Workers that keep dying use up the attempts too.
    for owner in ("x:3:0",):
        clock.advance(settings.pipeline.lease_s + 1)
        queue.reap_expired()
        assert queue.claim(owner) is not None
    clock.advance(settings.pipeline.lease_s + 1)
    queue.reap_expired()
    job = job_detail(sessions, job_id)
    assert job.state is JobState.FAILED
    assert job.error is not None and "stopped responding" in job.error


def test_job_listing_newest_first(queue: JobQueue, sessions: sessionmaker[Session]) -> None:
    first = queue.create_job(1, "masters/1/a.mp4")
    second = queue.create_job(2, "masters/2/b.mp4")
    jobs = list_jobs(sessions)
    assert [j.id for j in jobs] == [second, first]
    assert jobs[0].state is JobState.QUEUED
    assert jobs[0].asset_version != jobs[1].asset_version
