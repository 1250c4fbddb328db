"""The Celery worker's side: run one pipeline task from its message, with no database and no
disk shared with the controller.

A `vodstack worker` host has its own scratch directory (the worker's `data_dir`): task work
directories, fetched masters and the chunk mezzanines its processes share. Everything else
comes from and goes to the object store (S3), through the same `MediaTaskExecutor` the local
workers run, so the outputs and their keys are the same. While the task runs a heartbeat
thread sends progress to the controller's status queue and listens on a reply queue of its own
for a stop (job cancelled, lease lost, timeout, shutdown), which sets the task's cancel token:
the executor kills its ffmpeg, as a local worker's heartbeat does. The outcome goes back as a
`done` message before the task returns, i.e. before the broker message is acknowledged (late
ack): a worker killed in between runs the task again on redelivery, which finds its output and
only reports.

Mezzanines stay on the host that split them: each worker also consumes a queue of its own
(`host_queue`, auto-deleted with the worker), named in its beats, and the controller sends a
chunk's encodes and discard there (jobs.dispatch, "Host affinity").

A message whose controller is gone (its exclusive status queue no longer exists) is dropped:
that controller's successor reclaimed the task from the database and sent it again.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.exceptions import Reject
from kombu.connection import Connection
from kombu.entity import Queue

from vodstack.config.settings import PipelineSettings, Settings
from vodstack.pipeline.jobs.dag import final_task
from vodstack.pipeline.jobs.executor import TaskContext, TaskExecutor, load_executor
from vodstack.pipeline.jobs.outcome import OutcomeKind, StopReason, TaskOutcome, run_task
from vodstack.pipeline.jobs.scratch import remove_job_scratch, sweep_scratch
from vodstack.pipeline.jobs.task_message import TASK_NAME, TaskMessage
from vodstack.storage import ObjectStore, open_object_store

log = logging.getLogger(__name__)


@dataclass
class WorkerHost:
    """What one `vodstack worker` process (and the pool processes it forks) runs tasks with."""

    settings: Settings  # data_dir is the worker's scratch; storage is the worker's own
    broker_url: str
    # This host's own queue: the controller sends a chunk's encodes where its mezzanine is.
    host_queue: str | None = None
    _store: ObjectStore | None = None
    _executors: dict[tuple[str, str], TaskExecutor] = field(default_factory=dict)

    @property
    def scratch(self) -> Path:
        return self.settings.data_dir

    def store(self) -> ObjectStore:
        # Made in the pool process (after the fork), never shared across one.
        if self._store is None:
            self._store = open_object_store(self.settings)
        return self._store

    def task_settings(self, pipeline: PipelineSettings) -> Settings:
        return self.settings.model_copy(update={"pipeline": pipeline})

    def executor(self, ref: str, pipeline: PipelineSettings) -> TaskExecutor:
        key = (ref, pipeline.model_dump_json())
        if key not in self._executors:
            # One executor per configuration: it caches the current job's source facts.
            self._executors = {key: load_executor(ref, self.task_settings(pipeline))}
        return self._executors[key]


class _Heartbeat:
    """Progress to the controller, stops from it; on its own thread and broker connection."""

    def __init__(
        self,
        connection: Connection,
        message: TaskMessage,
        celery_id: str,
        *,
        redelivered: bool,
        host_queue: str | None,
    ) -> None:
        self.cancel = threading.Event()
        self.reason: StopReason | None = None
        self.progress = 0.0
        self._connection = connection
        self._message = message
        self._celery_id = celery_id
        self._redelivered = redelivered
        self._host_queue = host_queue
        self._interval = min(1.0, message.pipeline.lease_s / 3)
        self._reply = Queue(
            f"{message.status_queue}.reply.{uuid.uuid4().hex[:12]}",
            exclusive=True,
            auto_delete=True,
            no_declare=False,
        )
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{celery_id}")

    def start(self) -> None:
        self._reply(self._connection.default_channel).declare()
        self._beat()  # at once: a stale or cancelled task is stopped before it costs much
        self._thread.start()

    def stop_thread(self) -> None:
        self._done.set()
        self._thread.join()

    def report(self, progress: float) -> None:
        self.progress = progress

    def send(self, body: dict[str, Any]) -> None:
        producer = self._connection.Producer()
        producer.publish(
            body, routing_key=self._message.status_queue, serializer="json", retry=True
        )

    def _beat(self) -> None:
        self.send(
            {
                "type": "beat",
                "id": self._celery_id,
                "progress": self.progress,
                "reply_to": self._reply.name,
                "redelivered": self._redelivered,
                "host_queue": self._host_queue,
                "host": socket.gethostname(),
                "pid": os.getpid(),
            }
        )
        while True:
            answer = self._reply(self._connection.default_channel).get(no_ack=True)
            if answer is None:
                return
            body = answer.decode()
            if isinstance(body, dict) and body.get("type") == "stop":
                if self.reason is None:
                    self.reason = StopReason(body["reason"])
                self.cancel.set()

    def _loop(self) -> None:
        while not self._done.wait(self._interval):
            try:
                self._beat()
            except Exception:
                # The broker blipped: the controller keeps the lease; try again next beat.
                log.exception("heartbeat of %s failed; retrying", self._celery_id)


def _controller_alive(connection: Connection, status_queue: str) -> bool:
    channel = connection.channel()
    try:
        channel.queue_declare(queue=status_queue, passive=True)
    except connection.channel_errors:
        return False
    finally:
        try:
            channel.close()
        except Exception:
            log.debug("closing the probe channel failed", exc_info=True)
    return True


def execute_message(
    host: WorkerHost, body: dict[str, Any], celery_id: str, *, redelivered: bool
) -> None:
    """Run one task message to its `done` report (see the module docstring)."""
    message = TaskMessage.from_json(body)
    task = message.task
    sweep_scratch(host.scratch, message.live_jobs, newest=max(message.live_jobs, default=None))
    with Connection(host.broker_url) as connection:
        if not _controller_alive(connection, message.status_queue):
            log.info("%s of job %s: its controller is gone; dropped", task.name, task.job_id)
            return
        beat = _Heartbeat(
            connection, message, celery_id, redelivered=redelivered, host_queue=host.host_queue
        )
        workdir = host.scratch / "tasks" / str(os.getpid()) / f"{task.job_id}-{task.id}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        beat.start()
        try:
            settings = host.task_settings(message.pipeline)
            ctx = TaskContext(task, host.store(), workdir, settings, beat.cancel, beat.report)
            outcome = run_task(host.executor(message.executor, message.pipeline), ctx)
        finally:
            beat.stop_thread()
            shutil.rmtree(workdir, ignore_errors=True)
        if beat.reason is not None:
            log.info("%s of job %s stopped (%s)", task.name, task.job_id, beat.reason.value)
        plan = task.plan
        if outcome.kind is OutcomeKind.SUCCEEDED and plan and task.name == final_task(plan):
            remove_job_scratch(host.scratch, task.job_id)
        _report(beat, celery_id, outcome)


def _report(beat: _Heartbeat, celery_id: str, outcome: TaskOutcome) -> None:
    try:
        beat.send({"type": "done", "id": celery_id, "outcome": outcome.to_json()})
    except Exception as exc:
        # Not acknowledged, so it comes back; the output (if any) is there and it only reports.
        raise Reject(f"could not report the outcome: {exc}", requeue=True) from exc


def register_task(app: Celery, host: WorkerHost) -> None:
    """Register the pipeline's one Celery task on `app`, running on `host`."""

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)
    def run_pipeline_task(self: Task, body: dict[str, Any]) -> None:
        delivery = self.request.delivery_info or {}
        execute_message(
            host, body, str(self.request.id), redelivered=bool(delivery.get("redelivered"))
        )
