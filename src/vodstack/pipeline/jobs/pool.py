"""The worker pool: N worker processes owned by one controller that can always stop them.

Sized to the machine (`os.cpu_count()`) unless `settings.pipeline.workers` says otherwise.
Single-threaded workers are pinned to a core each (`worker_cores`): an ffmpeg run with one
encoder thread still runs demux, decode, filters and muxer on threads of its own, and left to
the scheduler they hop between cores with their 3 MB frames; pinned, the same 60 s 1080p ladder
ran 2-17 % faster on two cores in three benchmark runs (docs/benchmarks.md).
Workers are spawned (not forked: the controller may run inside an event loop with threads).
The controller's monitor thread reclaims tasks of dead workers, replaces crashed workers and
sweeps the host-local scratch (mezzanines) of jobs that ended.
Stopping drains: no new claims, running tasks get `shutdown_grace_s` to finish; then SIGTERM
makes each worker stop its task (ffmpeg killed, task released); then SIGKILL.
Workers die with the pool even when it is killed with SIGKILL (core.processes): each arms the
parent-death signal and watches the pipe to its parent. That signal fires when the *thread*
that spawned the worker ends, so one thread, the monitor, spawns every worker (the first ones
and the replacements) and reaps them all before it returns: it outlives everything it started.
The pids go to a ledger (`data_dir/run/workers`) that the next pool sweeps at start-up, for
whatever escaped both (a platform without prctl).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event as MpEvent
from types import FrameType

from vodstack.config.settings import Settings
from vodstack.core.context import configure_logging
from vodstack.core.processes import ProcessLedger, die_with_parent, pid_alive, watch_parent
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.executor import DEFAULT_EXECUTOR, load_executor
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.scratch import sweep_scratch
from vodstack.pipeline.jobs.worker import Worker, worker_owner
from vodstack.storage import open_object_store

log = logging.getLogger(__name__)
_TERM_WAIT_S = 5.0
# An orphaned worker releases its task (its ffmpeg killed) for this long, then exits anyway.
_ORPHAN_GRACE_S = 3.0


def pool_size(settings: Settings) -> int:
    return settings.pipeline.workers or os.cpu_count() or 1


class _StopFlags:
    """Stop when the pool says so (shared event) or this process got SIGTERM."""

    def __init__(self, shared: MpEvent) -> None:
        self.shared = shared
        self.local = threading.Event()

    def is_set(self) -> bool:
        return self.shared.is_set() or self.local.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        self.shared.wait(timeout)
        return self.is_set()


def worker_cores(settings: Settings, size: int) -> list[int] | None:
    """The core of each worker, or None to leave placement to the OS."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = settings.pipeline.pin_workers
    if pin is None:
        pin = settings.pipeline.encoder_threads == 1 and 0 < size <= len(cores)
    if not pin or not cores:
        return None
    return [cores[index % len(cores)] for index in range(size)]


def worker_process_main(
    settings_json: str,
    index: int,
    executor_ref: str,
    stop: MpEvent,
    core: int | None = None,
    pool_pid: int | None = None,
) -> None:
    """Entry point of a worker process."""
    if pool_pid is not None:
        die_with_parent(pool_pid)
    if core is not None:
        os.sched_setaffinity(0, {core})  # inherited by every ffmpeg this worker starts
    settings = Settings.from_child_json(settings_json)
    configure_logging("pipeline-worker", settings.log_level)
    # Ctrl-C reaches the whole process group; the controller decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine, sessions = open_database(settings)
    flags = _StopFlags(stop)
    worker = Worker(
        settings=settings,
        queue=JobQueue(sessions, settings.pipeline),
        store=open_object_store(settings),
        executor=load_executor(executor_ref, settings),
        owner=worker_owner(index),
        stop=flags,
    )

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        flags.local.set()
        worker.interrupt()

    def _orphaned() -> None:
        _terminate(signal.SIGTERM, None)
        time.sleep(_ORPHAN_GRACE_S)
        os._exit(1)  # the pool is gone: nobody would stop or replace this process

    signal.signal(signal.SIGTERM, _terminate)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        watch_parent(parent.sentinel, _orphaned)
    try:
        worker.run_forever()
    finally:
        engine.dispose()


def owner_is_dead(owner: str) -> bool:
    """Whether a lease owner `host:pid:index` is a process of this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's worker: only its lease expiry can tell
    return not pid_alive(int(pid_text))


class WorkerPool:
    def __init__(
        self, settings: Settings, *, executor_ref: str = DEFAULT_EXECUTOR, size: int | None = None
    ) -> None:
        self.settings = settings
        self.executor_ref = executor_ref
        self.size = size or pool_size(settings)
        self.cores = worker_cores(settings, self.size)
        self._ctx = multiprocessing.get_context("spawn")
        self._stop = self._ctx.Event()
        self._closing = threading.Event()
        self._processes: list[SpawnProcess] = []
        self._lock = threading.Lock()
        self._engine, sessions = open_database(settings)
        self.queue = JobQueue(sessions, settings.pipeline)
        self._monitor = threading.Thread(target=self._supervise, name="pipeline-monitor")
        self._spawned = threading.Event()
        self._grace_s = settings.pipeline.shutdown_grace_s
        self.ledger = ProcessLedger(settings.data_dir / "run" / "workers")

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [p.pid for p in self._processes if p.pid is not None and p.is_alive()]

    def healthy(self) -> bool:
        return bool(self.pids)

    def start(self) -> None:
        """Kill stale workers of a dead pool, reclaim their tasks, then start the workers."""
        self.ledger.sweep()
        reclaimed = self.queue.reap_expired(owner_is_dead)
        if reclaimed:
            log.info("reclaimed %d tasks from workers of a previous run", len(reclaimed))
        self._monitor.start()
        self._spawned.wait()
        if not self.pids:
            raise RuntimeError("the pipeline could not start its worker processes")

    def stop(self, grace_s: float | None = None) -> None:
        """Drain for `grace_s`, then SIGTERM (tasks released, ffmpeg killed), then SIGKILL."""
        if grace_s is not None:
            self._grace_s = grace_s
        self._closing.set()
        self._stop.set()
        if self._monitor.is_alive():
            self._monitor.join()  # it stops the workers on its way out
        else:
            self._stop_workers()
        self._engine.dispose()

    def _stop_workers(self) -> None:
        grace = self._grace_s
        with self._lock:
            processes = list(self._processes)
        _join_all(processes, grace)
        for process in processes:
            if process.is_alive():
                process.terminate()
        _join_all(processes, _TERM_WAIT_S)
        for process in processes:
            if process.is_alive():
                log.warning("worker %s did not stop; killing it", process.pid)
                process.kill()
                process.join()
        self.ledger.close()

    def _spawn(self, index: int) -> SpawnProcess:
        process = self._ctx.Process(
            target=worker_process_main,
            args=(
                self.settings.dump_for_child(),
                index,
                self.executor_ref,
                self._stop,
                self.cores[index] if self.cores else None,
                os.getpid(),
            ),
            name=f"pipeline-worker-{index}",
            daemon=True,
        )
        process.start()
        return process

    def _supervise(self) -> None:
        try:
            with self._lock:
                self._processes = [self._spawn(index) for index in range(self.size)]
                self._record()
        finally:
            self._spawned.set()
        interval = max(0.2, min(2.0, self.settings.pipeline.lease_s / 4))
        while not self._closing.wait(interval):
            try:
                self.queue.reap_expired(owner_is_dead)
                # Mezzanines of cancelled or failed jobs (a published job cleans up itself).
                sweep_scratch(self.settings.data_dir, self.queue.live_jobs())
            except Exception:
                log.exception("reaping expired leases or sweeping scratch failed")
            self._replace_dead()
        self._stop_workers()  # here, not in stop(): see the module docstring

    def _record(self) -> None:
        self.ledger.record(p.pid for p in self._processes if p.pid is not None)

    def _replace_dead(self) -> None:
        with self._lock:
            for index, process in enumerate(self._processes):
                if process.is_alive() or self._closing.is_set():
                    continue
                log.warning("worker %s exited (%s); replacing it", process.pid, process.exitcode)
                process.join()
                self._processes[index] = self._spawn(index)
                self._record()


def _join_all(processes: list[SpawnProcess], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
