"""Two workers finishing the last two inputs of a task at once: the task still becomes ready."""

from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.pipeline.jobs.orchestration_fakes import configure
from vodstack.config.settings import Settings
from vodstack.pipeline.jobs import queue as queue_module
from vodstack.pipeline.jobs.models import TaskRow
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.states import TaskState
from vodstack.pipeline.jobs.worker import Worker


def _join(sessions: sessionmaker[Session], job_id: int) -> tuple[int, list[int]] | None:
    """A waiting task whose only unfinished inputs are exactly two ready tasks."""
    with sessions() as session:
        tasks = session.scalars(select(TaskRow).where(TaskRow.job_id == job_id)).all()
    state = {t.id: t.state for t in tasks}
    for task in tasks:
        if task.state is not TaskState.WAITING:
            continue
        open_inputs = [d for d in task.deps if state[d] is not TaskState.SUCCEEDED]
        if len(open_inputs) == 2 and all(state[d] is TaskState.READY for d in open_inputs):
            return task.id, open_inputs
    return None


def _meeting_first(monkeypatch: pytest.MonkeyPatch, wait_s: float) -> None:
    """Make both successes reach the dependents' promotion before either commits, when the
    database lets them (the interleaving that loses the promotion without the job's lock)."""
    real = queue_module._promote_waiting
    meeting = threading.Barrier(2)

    def promote(session: Session, job_id: int) -> None:
        # A broken meeting: the other success was held back by the lock and runs after this
        # one commits.
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait(timeout=wait_s)
        real(session, job_id)

    monkeypatch.setattr(queue_module, "_promote_waiting", promote)


def test_the_last_two_inputs_succeeding_at_once_make_their_dependent_ready(
    settings: Settings,
    queue: JobQueue,
    worker: Worker,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configure(settings.data_dir)
    job_id = queue.create_job(title_id=1, source_key="masters/1/a.mp4")
    while (join := _join(sessions, job_id)) is None:
        assert worker.run_once(), "the DAG drained without two inputs ready at once"
    dependent, inputs = join
    claimed: dict[int, str] = {}
    for n in range(50):  # claim in priority order until both inputs are ours
        owner = f"{worker.owner}-{n}"
        task = queue.claim(owner)
        assert task is not None, "an input could not be claimed"
        claimed[task.id] = owner
        if set(inputs) <= claimed.keys():
            break
    _meeting_first(monkeypatch, wait_s=2.0)
    threads = [
        threading.Thread(target=queue.succeed, args=(i, claimed[i]), kwargs={"executed": True})
        for i in inputs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with sessions() as session:
        states = {i: session.get_one(TaskRow, i).state for i in [*inputs, dependent]}
    assert all(states[i] is TaskState.SUCCEEDED for i in inputs), states
    assert states[dependent] is TaskState.READY, "the dependent of two concurrent successes"
