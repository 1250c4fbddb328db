"""The Celery controller: the pipeline's tasks run on `vodstack worker` processes anywhere.

It takes the worker pool's place in the pipeline service (`pipeline.executor = "celery"`) and
keeps the database the only truth, exactly as with local workers: it claims tasks from the
queue in the same fair order (jobs.schedule), holds their leases while they run elsewhere, and
records each run with the same `record_outcome` the local workers use, so a job's states do not
depend on where its tasks ran.

- **Flow control.** It keeps at most `size` tasks in flight (the worker processes expected, the
  `workers` setting), claiming the next one when one ends, so priorities, bands and the split
  window decide at the moment a worker is free, not when a message was queued.
- **Leases.** A running task's lease is extended by this process every `min(1 s, lease_s/3)`
  while its worker reports progress on the status queue; a cancelled job or a lost lease is
  answered with a `stop` to the worker's reply queue (its ffmpeg is killed) and any beat of a
  task the controller no longer holds gets one too. `task_timeout_s` counts from the first
  beat, so time spent waiting in the broker for a free worker is not a timeout.
- **A lost worker.** The broker redelivers its unacknowledged message (late acks, reject on
  worker lost: jobs.celery_app) to another worker process; the lease stays here meanwhile, so
  the attempt is not counted twice, and the redelivered run finds an output that was already
  written (idempotent task keys) or makes it again.
- **A silent worker** (no beat for `lease_s`, the broker not noticing yet) is treated as a lapsed
  lease: a failed attempt, retried; a late beat of that run is answered with a stop.
- **Host affinity.** A SPLIT's mezzanine stays on the worker host that made it (gigabytes, host-
  local scratch), so the chunk's ENCODEs and DISCARD go to that host's own queue (named in its
  beats). A host that does not take such a task within `lease_s` is presumed gone (its queue
  goes with it): the task goes to the shared queue, and the worker that gets it finds no
  mezzanine and has the chunk split again where it runs (`InputLostError`).
- **A lost controller.** Its status queue is auto-deleted: when it dies the queue goes, workers
  drop its messages, and a successor on the same host reclaims its tasks at once (the owner
  `host:pid:celery-N` is dead), elsewhere when their leases expire.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from kombu.connection import Connection
from kombu.entity import Queue
from kombu.message import Message
from kombu.messaging import Consumer

from vodstack.config.settings import Settings
from vodstack.pipeline.jobs.celery_app import celery_app, redacted
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.executor import DEFAULT_EXECUTOR
from vodstack.pipeline.jobs.outcome import OutcomeKind, StopReason, TaskOutcome, record_outcome
from vodstack.pipeline.jobs.pool import owner_is_dead, pool_size
from vodstack.pipeline.jobs.queue import ClaimedTask, HeartbeatAnswer, JobQueue
from vodstack.pipeline.jobs.states import TaskKind
from vodstack.pipeline.jobs.task_message import TASK_NAME, TaskMessage, celery_task_id
from vodstack.storage import open_object_store

log = logging.getLogger(__name__)


class BrokerUnavailableError(RuntimeError):
    """The Celery executor's broker cannot be reached (the message names it and why)."""


ChunkKey = tuple[int, str | None, int]  # job, mezzanine tier, chunk


@dataclass
class _InFlight:
    task: ClaimedTask
    owner: str
    body: dict[str, Any]
    sent: float  # monotonic
    routed: str | None = None  # the host queue it was sent to (host affinity)
    host_queue: str | None = None  # of the worker running it (from its beats)
    progress: float = 0.0
    started: float | None = None  # monotonic time of the run's first beat
    last_beat: float | None = None
    reply_to: str | None = None
    worker: str | None = None  # host:pid of the process running it (from its beats)


class CeleryDispatcher:
    def __init__(
        self, settings: Settings, *, executor_ref: str = DEFAULT_EXECUTOR, size: int | None = None
    ) -> None:
        self.settings = settings
        self.executor_ref = executor_ref
        self.size = size or pool_size(settings)
        config = settings.pipeline
        self.broker_url = config.broker_url
        self.task_queue = config.celery_queue
        host = socket.gethostname()
        self.status_queue = (
            f"{config.celery_queue}.status.{host}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
        )
        self._owner_prefix = f"{host}:{os.getpid()}:celery-"
        self._owners = itertools.count(1)
        self.app = celery_app(self.broker_url, self.task_queue)
        self._engine, sessions = open_database(settings)
        self.queue = JobQueue(sessions, config)
        self.store = open_object_store(settings)
        self._in_flight: dict[str, _InFlight] = {}
        self._affinity: dict[ChunkKey, str] = {}
        self._closing = threading.Event()
        self._draining = threading.Event()
        self._grace_s = config.shutdown_grace_s
        self._connection: Connection | None = None
        self._thread = threading.Thread(target=self._run, name="pipeline-dispatch")
        self._connected = False
        # Names of tasks whose message came back to a worker after another died with it.
        self.redelivered: list[str] = []

    # -- the seam the pipeline service uses (as with jobs.pool.WorkerPool) --------------------

    def start(self) -> None:
        """Connect to the broker (or raise `BrokerUnavailableError`), reclaim the tasks of a
        dead controller on this host, then dispatch on a thread of its own."""
        connection = Connection(self.broker_url, connect_timeout=5)
        try:
            connection.ensure_connection(max_retries=2, interval_start=0.5, interval_step=1.0)
        except Exception as exc:
            raise BrokerUnavailableError(
                f"the pipeline's Celery broker at {redacted(self.broker_url)} is unreachable "
                f"({exc}); start it or set pipeline.broker_url"
            ) from exc
        self._connection = connection
        # Not exclusive (workers check it exists, which RabbitMQ refuses for another
        # connection's exclusive queue); auto-deleted when this process stops consuming.
        self._status = Queue(self.status_queue, auto_delete=True, durable=False)
        self._consumer = Consumer(
            connection, queues=[self._status], callbacks=[self._on_message], accept=["json"]
        )
        self._consumer.consume()
        self._connected = True
        reclaimed = self.queue.reap_expired(owner_is_dead)
        if reclaimed:
            log.info("reclaimed %d tasks from workers of a previous run", len(reclaimed))
        self._thread.start()

    def healthy(self) -> bool:
        return self._thread.is_alive() and self._connected

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def stop(self, grace_s: float | None = None) -> None:
        """No new claims; running tasks get `grace_s` to finish, then are stopped and released
        untried (their workers told to stop)."""
        if grace_s is not None:
            self._grace_s = grace_s
        self._draining.set()
        if self._thread.is_alive():
            self._thread.join()
        self._close()

    # -- the dispatch loop ------------------------------------------------------------------

    def _run(self) -> None:
        interval = min(1.0, self.settings.pipeline.lease_s / 3)
        next_beat = 0.0
        drain_deadline: float | None = None
        while True:
            now = time.monotonic()
            if self._draining.is_set():
                drain_deadline = drain_deadline or now + self._grace_s
                if not self._in_flight or now >= drain_deadline:
                    break
            else:
                self._guard(self._fill)
            self._drain_events()
            if time.monotonic() >= next_beat:
                self._guard(self._beat_all)
                next_beat = time.monotonic() + interval
        for entry in list(self._in_flight.values()):
            self._guard(lambda e=entry: self._stop_task(e, StopReason.SHUTDOWN))
            self._guard(lambda e=entry: self.queue.release(e.task.id, e.owner))
        self._in_flight.clear()

    def _guard(self, step: Any) -> None:
        try:
            step()
        except Exception:
            # The database or the broker blipped: leases expire and tasks are retried.
            log.exception("pipeline dispatch step failed; retrying")
            time.sleep(self.settings.pipeline.poll_s)

    def _drain_events(self) -> None:
        assert self._connection is not None
        try:
            self._connection.drain_events(timeout=self.settings.pipeline.poll_s)
        except TimeoutError:
            return
        except self._connection.connection_errors as exc:
            self._connected = False
            log.warning("lost the broker (%s); reconnecting", exc)
            self._reconnect()

    def _reconnect(self) -> None:
        assert self._connection is not None
        try:
            self._connection = self._connection.clone()
            self._connection.ensure_connection(max_retries=1)
            self._consumer = Consumer(
                self._connection,
                queues=[self._status],
                callbacks=[self._on_message],
                accept=["json"],
            )
            self._consumer.consume()
            self._connected = True
        except Exception as exc:
            log.warning("broker still unreachable: %s", exc)
            time.sleep(self.settings.pipeline.poll_s)

    def _fill(self) -> None:
        live: frozenset[int] | None = None
        while len(self._in_flight) < self.size:
            owner = f"{self._owner_prefix}{next(self._owners)}"
            task = self.queue.claim(owner)
            if task is None:
                return
            if live is None:
                live = frozenset(self.queue.live_jobs())
                self._affinity = {k: q for k, q in self._affinity.items() if k[0] in live}
            message = TaskMessage(
                task,
                self.status_queue,
                self.settings.pipeline,
                self.executor_ref,
                live | {task.job_id},
            )
            celery_id = celery_task_id(task)
            key = _chunk_key(task)
            routed = None
            if task.kind in (TaskKind.ENCODE, TaskKind.DISCARD) and key is not None:
                routed = self._affinity.get(key)
            entry = _InFlight(task, owner, message.to_json(), time.monotonic(), routed)
            self._in_flight[celery_id] = entry
            try:
                self._send(celery_id, entry, routed or self.task_queue)
            except Exception:
                self._in_flight.pop(celery_id, None)
                self.queue.release(task.id, owner)
                raise

    def _send(self, celery_id: str, entry: _InFlight, queue: str) -> None:
        target: str | Queue = queue
        if queue != self.task_queue:
            # A worker's own queue exists while the worker does; never create one here (it
            # would outlive the worker with the message in it).
            target = Queue(
                queue, routing_key=queue, durable=False, auto_delete=True, no_declare=True
            )
        self.app.send_task(TASK_NAME, args=[entry.body], task_id=celery_id, queue=target)

    def _beat_all(self) -> None:
        now = time.monotonic()
        timeout_s = self.settings.pipeline.task_timeout_s
        lease_s = self.settings.pipeline.lease_s
        for celery_id, entry in list(self._in_flight.items()):
            if entry.started is not None and now - entry.started > timeout_s:
                self._in_flight.pop(celery_id, None)
                self._stop_task(entry, StopReason.TIMEOUT)
                self.queue.fail(
                    entry.task.id, entry.owner, f"timed out after {timeout_s:g} s", retryable=True
                )
                continue
            if entry.routed and entry.last_beat is None and now - entry.sent > lease_s:
                # The host holding the chunk's mezzanine did not take it (gone: its queue
                # went with it): any worker will do; it splits the chunk again if need be.
                log.info("%s: %s never answered; to any worker", entry.task.name, entry.routed)
                self._forget_host(entry.routed)
                entry.routed = None
                entry.sent = now
                self._send(celery_id, entry, self.task_queue)
                continue
            if entry.last_beat is not None and now - entry.last_beat > lease_s:
                # Its worker went silent without the broker noticing (yet): as a lapsed lease.
                self._in_flight.pop(celery_id, None)
                self._stop_task(entry, StopReason.LOST)
                error = f"worker {entry.worker} stopped responding"
                self.queue.fail(entry.task.id, entry.owner, error, retryable=True)
                continue
            answer = self.queue.heartbeat(entry.task.id, entry.owner, entry.progress)
            if answer is HeartbeatAnswer.CONTINUE:
                continue
            # The job was cancelled or failed, or the lease is gone: the database already
            # says so; the worker is told to kill its ffmpeg, and the slot is free.
            self._in_flight.pop(celery_id, None)
            reason = (
                StopReason.CANCELLED if answer is HeartbeatAnswer.CANCELLED else StopReason.LOST
            )
            self._stop_task(entry, reason)
        self.queue.reap_expired(owner_is_dead)

    def _stop_task(self, entry: _InFlight, reason: StopReason) -> None:
        if entry.reply_to is not None:
            self._send_stop(entry.reply_to, reason)

    def _send_stop(self, reply_to: str, reason: StopReason) -> None:
        assert self._connection is not None
        self._connection.Producer().publish(
            {"type": "stop", "reason": reason.value}, routing_key=reply_to, serializer="json"
        )

    # -- messages from workers --------------------------------------------------------------

    def _on_message(self, body: Any, message: Message) -> None:
        message.ack()
        if not isinstance(body, dict):
            return
        try:
            if body.get("type") == "beat":
                self._on_beat(body)
            elif body.get("type") == "done":
                self._on_done(body)
        except Exception:
            log.exception("could not handle a worker's %s message", body.get("type"))

    def _on_beat(self, body: dict[str, Any]) -> None:
        entry = self._in_flight.get(str(body.get("id")))
        reply_to = body.get("reply_to")
        if entry is None:
            # A task this controller no longer holds (cancelled, timed out, released): stop it.
            if isinstance(reply_to, str):
                self._send_stop(reply_to, StopReason.LOST)
            return
        worker = f"{body.get('host')}:{body.get('pid')}"
        if entry.worker != worker:
            # A new run: its own timeout. A redelivered one means a worker died with it.
            if body.get("redelivered") and not self._redelivered(entry, worker, reply_to):
                return
            entry.started = time.monotonic()
        entry.worker = worker
        entry.last_beat = time.monotonic()
        host_queue = body.get("host_queue")
        entry.host_queue = host_queue if isinstance(host_queue, str) else None
        entry.reply_to = reply_to if isinstance(reply_to, str) else None
        entry.progress = float(body.get("progress") or 0.0)

    def _redelivered(self, entry: _InFlight, worker: str, reply_to: object) -> bool:
        """A run that died with its worker counts as an attempt (as an expired lease does with
        local workers), so a task that kills every worker it meets fails after `max_attempts`
        instead of coming back forever. False when the task failed (the run is stopped)."""
        lost = entry.worker or "a worker"
        log.warning("%s was redelivered to %s (%s was lost)", entry.task.name, worker, lost)
        self.redelivered.append(entry.task.name)
        if self.queue.lost_run(entry.task.id, entry.owner, f"worker {lost} was lost"):
            return True
        self._in_flight.pop(celery_task_id(entry.task), None)
        if isinstance(reply_to, str):
            self._send_stop(reply_to, StopReason.CANCELLED)
        return False

    def _on_done(self, body: dict[str, Any]) -> None:
        entry = self._in_flight.pop(str(body.get("id")), None)
        if entry is None:
            return  # a redelivered run's report of a task already recorded, or one given up
        outcome = TaskOutcome.from_json(body["outcome"])
        self._note_mezzanine(entry, outcome)
        timeout_s = self.settings.pipeline.task_timeout_s
        record_outcome(
            self.queue, self.store, entry.task, entry.owner, outcome, None, timeout_s=timeout_s
        )

    def _note_mezzanine(self, entry: _InFlight, outcome: TaskOutcome) -> None:
        """Host affinity: remember which host split a chunk, forget it once discarded or lost."""
        key = _chunk_key(entry.task)
        if key is None:
            return
        kind = entry.task.kind
        if kind is TaskKind.SPLIT and outcome.kind is OutcomeKind.SUCCEEDED and outcome.executed:
            if entry.host_queue is not None:
                self._affinity[key] = entry.host_queue
        elif kind is TaskKind.DISCARD or outcome.kind is OutcomeKind.INPUT_LOST:
            self._affinity.pop(key, None)

    def _forget_host(self, host_queue: str) -> None:
        self._affinity = {k: q for k, q in self._affinity.items() if q != host_queue}

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                log.debug("closing the broker connection failed", exc_info=True)
        self._connected = False
        self.app.close()
        self._engine.dispose()


def _chunk_key(task: ClaimedTask) -> ChunkKey | None:
    """The mezzanine a SPLIT makes, or an ENCODE or DISCARD uses."""
    kinds = (TaskKind.SPLIT, TaskKind.ENCODE, TaskKind.DISCARD)
    if task.chunk is None or task.kind not in kinds:
        return None
    if task.kind is TaskKind.ENCODE:
        tier = task.plan.tier_of(task.rendition) if task.plan is not None else None
        return task.job_id, tier, task.chunk
    return task.job_id, task.rendition, task.chunk
