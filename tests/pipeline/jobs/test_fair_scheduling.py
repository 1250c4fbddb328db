"""Several jobs share the workers: previews of every job first, operator priority, queue spots,
and VMAF after the publish (fake executor, workers in this process)."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from tests.pipeline.jobs.orchestration_fakes import configure, drain, executed_by_job
from vodstack.config.settings import Settings
from vodstack.pipeline.jobs.models import TaskRow
from vodstack.pipeline.jobs.progress import job_detail, list_jobs
from vodstack.pipeline.jobs.queue import JobFinishedError, JobNotFoundError, JobQueue
from vodstack.pipeline.jobs.schedule import estimate_starts
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState
from vodstack.pipeline.jobs.worker import Worker
from vodstack.storage import ObjectStore

LADDER = {"renditions": ["240p", "360p", "720p"], "chunks": 2, "preview": ["240p", "360p"]}


def _first(order: list[tuple[int, str]], job_id: int, prefix: str) -> int:
    return next(
        i for i, (job, name) in enumerate(order) if job == job_id and name.startswith(prefix)
    )


def _main_pass(name: str) -> bool:
    return name.startswith("encode:720p") or name == "split:00000"


def test_every_job_is_previewed_before_any_full_ladder(
    settings: Settings, queue: JobQueue, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    configure(settings.data_dir, **LADDER)
    jobs = [queue.create_job(title, f"masters/{title}/m.mp4") for title in (1, 2, 3)]
    drain(worker)
    order = executed_by_job(settings.data_dir)
    last_preview = max(_first(order, job, "publish:preview") for job in jobs)
    first_main = min(i for i, (_, name) in enumerate(order) if _main_pass(name))
    assert last_preview < first_main, "a full ladder went ahead of another title's preview"
    # Within the preview band the oldest job goes first.
    previews = [_first(order, job, "publish:preview") for job in jobs]
    assert previews == sorted(previews)
    assert all(job_detail(sessions, j).state is JobState.SUCCEEDED for j in jobs)


def test_a_higher_priority_goes_first_within_each_band_but_never_jumps_a_band(
    settings: Settings, queue: JobQueue, worker: Worker
) -> None:
    configure(settings.data_dir, **LADDER)
    first, second, urgent = (queue.create_job(t, f"masters/{t}/m.mp4") for t in (1, 2, 3))
    queue.set_priority(urgent, 5)
    assert queue.priority(urgent) == 5
    drain(worker)
    order = executed_by_job(settings.data_dir)
    assert order[0] == (urgent, "probe"), "the urgent job starts first"
    assert _first(order, urgent, "publish:preview") < _first(order, first, "publish:preview")
    assert _first(order, urgent, "encode:720p") < _first(order, first, "encode:720p")
    # ... but its full ladder waits for the other titles' previews.
    assert _first(order, urgent, "encode:720p") > _first(order, second, "publish:preview")


def test_priority_of_an_unknown_or_finished_job_is_refused(
    settings: Settings, queue: JobQueue, worker: Worker
) -> None:
    configure(settings.data_dir, renditions=["240p"], chunks=1)
    job = queue.create_job(1, "masters/1/m.mp4")
    drain(worker)
    with pytest.raises(JobFinishedError):
        queue.set_priority(job, 3)
    with pytest.raises(JobNotFoundError):
        queue.set_priority(999, 3)


def _took(sessions: sessionmaker[Session], job_id: int, kind: TaskKind, seconds: float) -> None:
    with sessions.begin() as session:
        session.execute(
            update(TaskRow)
            .where(TaskRow.job_id == job_id, TaskRow.kind == kind)
            .values(started_at=TaskRow.finished_at - seconds)
        )


def test_waiting_jobs_get_a_queue_position_and_a_start_estimate(
    settings: Settings, queue: JobQueue, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    configure(settings.data_dir, **LADDER)
    done = queue.create_job(1, "masters/1/m.mp4")
    drain(worker)
    # What the estimate learns from: a probe took 4 s, each other task 10 s.
    for kind in TaskKind:
        _took(sessions, done, kind, 4.0 if kind is TaskKind.PROBE else 10.0)
    running = queue.create_job(2, "masters/2/m.mp4")
    assert worker.run_once()  # job 2's probe: planned, its preview pass open
    later, last = queue.create_job(3, "masters/3/m.mp4"), queue.create_job(4, "masters/4/m.mp4")
    with sessions() as session:
        spots = estimate_starts(session, workers=2, now=5000.0)
    assert set(spots) == {later, last}, "only jobs that have not started are in the queue"
    assert (spots[later].position, spots[last].position) == (1, 2)
    assert 5000.0 < spots[later].estimated_start < spots[last].estimated_start
    # Job 2's open band-0 work comes before job 3 starts, over two workers: audio, 2 splits,
    # 4 encodes, 2 concats, package and publish of the preview, and the 4 discards (band 0 in
    # both passes: they free disk first), 15 tasks of 10 s.
    assert spots[later].estimated_start == pytest.approx(5000.0 + 15 * 10.0 / 2)

    queue.set_priority(last, 1)
    summaries = {j.id: j for j in list_jobs(sessions, workers=2)}
    assert (summaries[last].queue_position, summaries[later].queue_position) == (1, 2)
    assert summaries[last].priority == 1
    assert summaries[running].queue_position is None


def test_vmaf_runs_after_the_publish_and_ends_the_job(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    store: ObjectStore,
    sessions: sessionmaker[Session],
) -> None:
    configure(settings.data_dir, renditions=["240p", "360p"], chunks=1)
    job_id = queue.create_job(1, "masters/1/m.mp4")
    while not [n for _, n in executed_by_job(settings.data_dir) if n == "publish"]:
        assert worker.run_once()
    detail = job_detail(sessions, job_id)
    assert detail.published and detail.state is JobState.RUNNING
    quality = next(t for t in detail.tasks if t.kind is TaskKind.QUALITY)
    assert quality.state is TaskState.READY
    (complete,) = queue.unsynced_publications()
    assert not complete.preview, "the catalog hears of the complete version before VMAF"
    report = f"titles/1/{detail.asset_version}/quality.json"
    assert not store.exists(report)
    drain(worker)
    assert job_detail(sessions, job_id).state is JobState.SUCCEEDED
    assert store.exists(report), "the report is added to the published version"
    assert store.list(f"work/{job_id}/") == [], "work is removed after the last task"


def test_reports_never_take_the_last_worker(
    settings: Settings, queue: JobQueue, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    # Two workers (the fixture's settings): while one runs a VMAF report, the other report
    # waits and the free worker takes a new upload's probe as soon as it arrives.
    configure(settings.data_dir, renditions=["240p", "360p"], chunks=1)
    first, second = (queue.create_job(t, f"masters/{t}/m.mp4") for t in (1, 2))
    while sum(n == "publish" for _, n in executed_by_job(settings.data_dir)) < 2:
        assert worker.run_once()
    report = queue.claim("host:1:0")
    assert report is not None and (report.kind, report.job_id) == (TaskKind.QUALITY, first)
    assert queue.claim("host:1:1") is None, "the second report took the last worker"
    upload = queue.create_job(3, "masters/3/m.mp4")
    probe = queue.claim("host:1:1")
    assert probe is not None and (probe.kind, probe.job_id) == (TaskKind.PROBE, upload)
    queue.release(report.id, "host:1:0")
    queue.release(probe.id, "host:1:1")
    drain(worker)  # one worker at a time: every report still runs, and every job ends
    assert all(job_detail(sessions, j).state is JobState.SUCCEEDED for j in (first, second, upload))


def test_a_running_report_does_not_count_in_the_start_estimate(
    settings: Settings, queue: JobQueue, worker: Worker, sessions: sessionmaker[Session]
) -> None:
    configure(settings.data_dir, renditions=["240p", "360p"], chunks=1)
    measured = queue.create_job(1, "masters/1/m.mp4")
    drain(worker)
    _took(sessions, measured, TaskKind.QUALITY, 300.0)  # reports take minutes
    published = queue.create_job(2, "masters/2/m.mp4")
    while sum(n == "publish" for _, n in executed_by_job(settings.data_dir)) < 2:
        assert worker.run_once()
    report = queue.claim("host:1:0")
    assert report is not None and (report.kind, report.job_id) == (TaskKind.QUALITY, published)
    waiting = queue.create_job(3, "masters/3/m.mp4")
    with sessions() as session:
        spots = estimate_starts(session, workers=2, now=5000.0)
    # The report keeps its worker for minutes, but the other one is free: the job starts now,
    # not after half the report's 300 s.
    assert spots[waiting].estimated_start == pytest.approx(5000.0)
