"""A worker: claims a task, runs it in a scratch directory under a heartbeat, records the end.

One worker per process (see jobs.pool). While a task runs, a heartbeat thread extends the lease,
reports progress, and sets the task's cancel event when the job is cancelled, the lease was lost,
the task ran past its timeout, or the process is shutting down; the executor (and the media
runner it hands the event to) then kills its ffmpeg.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from types import TracebackType
from typing import Protocol

from vodstack.config.settings import Settings
from vodstack.pipeline.jobs.executor import TaskContext, TaskExecutor
from vodstack.pipeline.jobs.outcome import StopReason, record_outcome, run_task
from vodstack.pipeline.jobs.queue import ClaimedTask, HeartbeatAnswer, JobQueue
from vodstack.pipeline.jobs.scratch import remove_job_scratch
from vodstack.storage import ObjectStore

log = logging.getLogger(__name__)


class StopFlag(Protocol):
    def is_set(self) -> bool: ...
    def wait(self, timeout: float | None = None) -> bool: ...


def worker_owner(index: int) -> str:
    """The lease owner id: host and pid let a restarted controller spot dead owners."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class Heartbeat:
    """Extends the lease and watches for reasons to stop, on its own thread."""

    def __init__(self, queue: JobQueue, task: ClaimedTask, owner: str, settings: Settings) -> None:
        self.cancel = threading.Event()
        self.reason: StopReason | None = None
        self.progress = 0.0
        self._queue = queue
        self._task = task
        self._owner = owner
        self._interval = min(1.0, settings.pipeline.lease_s / 3)
        self._deadline = time.monotonic() + settings.pipeline.task_timeout_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{task.id}")

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        self._thread.join()

    def report(self, progress: float) -> None:
        self.progress = progress

    def stop(self, reason: StopReason) -> None:
        if self.reason is None:
            self.reason = reason
        self.cancel.set()

    def _loop(self) -> None:
        while not self._done.wait(self._interval):
            if time.monotonic() > self._deadline:
                self.stop(StopReason.TIMEOUT)
                return
            try:
                answer = self._queue.heartbeat(self._task.id, self._owner, self.progress)
            except Exception:
                log.exception("heartbeat of task %s failed; retrying", self._task.id)
                continue
            if answer is HeartbeatAnswer.CANCELLED:
                self.stop(StopReason.CANCELLED)
            elif answer is HeartbeatAnswer.LOST:
                self.stop(StopReason.LOST)


class Worker:
    def __init__(
        self,
        *,
        settings: Settings,
        queue: JobQueue,
        store: ObjectStore,
        executor: TaskExecutor,
        owner: str,
        stop: StopFlag,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.store = store
        self.executor = executor
        self.owner = owner
        self.stop = stop
        self.current: Heartbeat | None = None
        self._scratch = settings.data_dir / "work" / owner.replace(":", "_")

    def run_forever(self) -> None:
        while not self.stop.is_set():
            if not self.run_once():
                self.stop.wait(self.settings.pipeline.poll_s)

    def run_once(self) -> bool:
        """Claim and run one task; False when nothing was ready."""
        task = self.queue.claim(self.owner)
        if task is None:
            return False
        try:
            self._run(task)
        except Exception:
            # A bug in the bookkeeping itself: the lease expires and the task is retried.
            log.exception("worker %s could not finish task %s", self.owner, task.name)
        return True

    def interrupt(self) -> None:
        """Shutdown: stop the running task now (its ffmpeg is killed, the task released)."""
        if self.current is not None:
            self.current.stop(StopReason.SHUTDOWN)

    def _run(self, task: ClaimedTask) -> None:
        workdir = self._scratch / f"{task.job_id}-{task.id}-{task.attempt}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        try:
            with Heartbeat(self.queue, task, self.owner, self.settings) as beat:
                self.current = beat
                ctx = TaskContext(
                    task, self.store, workdir, self.settings, beat.cancel, beat.report
                )
                outcome = run_task(self.executor, ctx)
        finally:
            self.current = None
            shutil.rmtree(workdir, ignore_errors=True)
        timeout_s = self.settings.pipeline.task_timeout_s
        final = record_outcome(
            self.queue, self.store, task, self.owner, outcome, beat.reason, timeout_s=timeout_s
        )
        if final:
            remove_job_scratch(self.settings.data_dir, task.job_id)
