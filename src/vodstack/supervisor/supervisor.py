"""Runs the platform: start services tier by tier, wait for health, watch, restart, drain.

Shutdown order is the reverse of start-up: the gateway stops taking requests first, so the
services behind it can finish what is in flight before they stop in turn.
A process is replaced when it exits (restart with backoff) and when it stops answering its
/healthz (supervisor.liveness). Stateless services run as several instances; every tick the
supervisor reconciles them with `run/control.json` (`vodstack scale`, `vodstack chaos kong`:
supervisor.scaling) and keeps the registry in step with what its probes see
(supervisor.registrar). The services' pids go to a ledger under `data_dir/run/services`,
swept at the next start-up in case a killed supervisor left any behind (core.processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx

from vodstack.config import Settings
from vodstack.core.processes import ProcessLedger
from vodstack.discovery import Registry
from vodstack.supervisor import scaling
from vodstack.supervisor.control import Control, control_path, read_control, write_control
from vodstack.supervisor.instances import fresh_port, place, port_for
from vodstack.supervisor.liveness import Verdict
from vodstack.supervisor.process import ManagedProcess, Probe, ProcessState
from vodstack.supervisor.registrar import Registrar
from vodstack.supervisor.registry import ServerKind, ServiceSpec
from vodstack.supervisor.status import PlatformStatus, ServiceStatus, run_dir, write_status
from vodstack.supervisor.workers import scratch_dir, worker_count

log = logging.getLogger("vodstack.supervisor")

ReadyHook = Callable[[Settings], Awaitable[None]]
Reporter = Callable[[str], None]

POLL_S = 0.25
# A drained instance keeps serving this long past the clients' cache period, so a request
# picked from a list fetched just before the deregistration still finds it listening.
DRAIN_MARGIN_S = 1.0


class StartupFailed(RuntimeError):
    """A service exited or never became healthy during start-up."""


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        specs: Sequence[ServiceSpec],
        settings_file: Path,
        *,
        report: Reporter = print,
        start_timeout_s: float | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.settings = settings
        self.report = report
        self.settings_file = settings_file
        self.start_timeout_s = start_timeout_s or settings.supervisor.start_timeout_s
        self.specs = {spec.name: spec for spec in specs}
        self.processes = [
            self._instance(spec, index)
            for spec in specs
            for index in range(1, self._count(spec) + 1)
        ]
        self.registrar = Registrar(registry)
        self.control_path = control_path(settings)
        self._control: Control | None = None
        self.ledger = ProcessLedger(run_dir(settings) / "services")
        self._stop = asyncio.Event()
        self._background: set[asyncio.Task[object]] = set()

    def _count(self, spec: ServiceSpec) -> int:
        if spec.kind is ServerKind.WORKER:
            return worker_count(self.settings)
        return scaling.desired_count(None, self.settings.scale, spec.name)

    def _instance(self, spec: ServiceSpec, index: int) -> ManagedProcess:
        placed = place(self.settings, spec, index)
        worker = spec.kind is ServerKind.WORKER
        return ManagedProcess(
            spec,
            0 if worker else port_for(placed),
            self.settings_file,
            self.settings.data_dir / "logs",
            policy=self.settings.supervisor,
            instance=placed.name,
            region=placed.region,
            reuse_port=placed.reuse_port,
            scratch=scratch_dir(self.settings, placed.name) if worker else None,
        )

    def request_stop(self) -> None:
        self._stop.set()

    def run_in_background(self, work: Coroutine[Any, Any, object]) -> None:
        """Work that runs beside the watch loop and is cancelled when the platform stops."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[object]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.report(f"background work failed: {task.exception()}")

    async def run(self, on_ready: Sequence[ReadyHook] = ()) -> None:
        """Start everything, run the ready hooks, then watch until asked to stop."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        stale = self.ledger.sweep()
        if stale:
            self.report(f"killed processes left by a previous run (pids {stale})")
        # A previous run's wishes (counts, held-down instances) do not outlive it.
        write_control(self.control_path, Control(instances=dict(self.settings.scale.instances)))
        async with httpx.AsyncClient() as client:
            try:
                await self._start_all(client)
                for hook in on_ready:
                    if self._stop.is_set():
                        break
                    await hook(self.settings)
                await self._watch(client)
            finally:
                await self._cancel_background()
                await self.stop_all()

    async def _cancel_background(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def _start_all(self, client: httpx.AsyncClient) -> None:
        for tier, group in groupby(self.processes, key=lambda proc: proc.spec.tier):
            batch = list(group)
            for proc in batch:
                self._start(proc)
                where = f"on :{proc.port}" if proc.serves_http else f"in {proc.scratch}"
                self.report(f"starting {proc.name:<10} {where}  (log {proc.log_path})")
            await self._await_healthy(client, batch, tier)

    async def _await_healthy(
        self, client: httpx.AsyncClient, batch: list[ManagedProcess], tier: int
    ) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        pending = list(batch)
        while pending:
            if self._stop.is_set():
                raise StartupFailed("interrupted during start-up")
            for proc in list(pending):
                code = proc.exited()
                if code is not None:
                    raise StartupFailed(
                        f"{proc.name} exited with code {code} during start-up; "
                        f"see {proc.log_path}:\n{_tail(proc)}"
                    )
                if await proc.healthy(client):
                    proc.state = ProcessState.HEALTHY
                    proc.liveness.observe(True, time.monotonic())
                    self.registrar.healthy(proc)
                    pending.remove(proc)
            if pending and time.monotonic() > deadline:
                names = ", ".join(proc.name for proc in pending)
                raise StartupFailed(f"not healthy after {self.start_timeout_s:.0f}s: {names}")
            if pending:
                await asyncio.sleep(POLL_S)
        self._write_status()

    def _start(self, proc: ManagedProcess) -> None:
        proc.start()
        self.ledger.record(p.pid for p in self.processes if p.pid is not None)

    async def _watch(self, client: httpx.AsyncClient) -> None:
        while not self._stop.is_set():
            self._reconcile()
            now = time.monotonic()
            for proc in list(self.processes):
                await self._tend(proc, now)
            await self._check_health(client)
            for name in self.registrar.evict():
                self.report(f"{name} evicted from the registry: its lease ran out")
            self._write_status()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), POLL_S)

    def _reconcile(self) -> None:
        """Bring the instances in line with control.json: start, drain, hold down, release."""
        actions = scaling.plan(self.processes, self._wishes(), self.settings.scale)
        for service, index in actions.start:
            proc = self._instance(self.specs[service], index)
            self.processes.append(proc)
            self.processes.sort(key=lambda p: p.spec.tier)
            self._start(proc)
            self.report(f"scaling {service} up: starting {proc.name} on :{proc.port}")
        for proc in actions.drain:
            proc.state = ProcessState.DRAINING
            self.run_in_background(self._drain(proc))
        for proc in actions.hold:
            self.registrar.gone(proc)
            proc.hold_down()
            self.report(f"chaos: {proc.name} held down")
        for proc in actions.release:
            proc.release(time.monotonic())
            self.report(f"chaos over: {proc.name} starts again")

    def _wishes(self) -> Control | None:
        """control.json; a file edited into nonsense keeps the last good wishes in force."""
        try:
            self._control = read_control(self.control_path) or self._control
        except ValueError as exc:
            log.warning("ignoring %s: %s", self.control_path, exc)
        return self._control

    async def _drain(self, proc: ManagedProcess) -> None:
        """Deregister, let every client's cached list forget it, then stop with drain."""
        self.report(f"scaling {proc.service} down: draining {proc.name}")
        self.registrar.gone(proc)
        await asyncio.sleep(self.settings.scale.refresh_s + DRAIN_MARGIN_S)
        await proc.stop()  # SIGTERM: the server finishes its in-flight requests first
        self.processes.remove(proc)
        self.ledger.record(p.pid for p in self.processes if p.pid is not None)
        self.report(f"{proc.name} drained and stopped")

    async def _tend(self, proc: ManagedProcess, now: float) -> None:
        if proc.state in (
            ProcessState.STOPPING,
            ProcessState.STOPPED,
            ProcessState.DRAINING,
            ProcessState.DOWN,
        ):
            return
        if proc.due_for_restart(now):
            proc.restarts += 1
            self.report(f"restarting {proc.name} (restart #{proc.restarts})")
            self._start(proc)
            return
        if proc.state is ProcessState.BACKOFF:
            return
        code = proc.exited()
        if code is not None:
            self.registrar.gone(proc)
            if proc.port != proc.spec.port and not proc.liveness.seen_alive:
                proc.port = fresh_port()  # its picked port may have been taken meanwhile
            proc.schedule_restart(now, f"exited with code {code}")
            self.report(f"{proc.name} exited with code {code}; restarting with backoff")
            log.warning("%s exited with code %s", proc.name, code)

    async def _check_health(self, client: httpx.AsyncClient) -> None:
        """Probe the processes whose turn it is; replace those the liveness verdict gives up on."""
        watched = (ProcessState.STARTING, ProcessState.HEALTHY, ProcessState.UNHEALTHY)
        now = time.monotonic()
        due = [p for p in self.processes if p.state in watched and p.liveness.due(now)]
        results = await asyncio.gather(*(proc.probe(client) for proc in due))
        sent, now = now, time.monotonic()
        for proc, probe in zip(due, results, strict=True):
            if proc.exited() is not None or self._stop.is_set() or proc.state not in watched:
                continue  # an exit is _tend's business; a stopping platform replaces nothing
            if probe is Probe.ELSEWHERE and proc.liveness.seen_alive:
                proc.liveness.inconclusive(now, sent)  # its sibling answered: ask again later
                continue
            # Until it answers itself, a process sharing its port is starting (or not at all).
            answered = probe not in (Probe.SILENT, Probe.ELSEWHERE)
            verdict = proc.liveness.observe(answered, now, sent, working=proc.worked())
            if verdict is Verdict.REPLACE:
                self._replace(proc, now)
            elif verdict is Verdict.STARTING:
                proc.state = ProcessState.STARTING
            elif probe is Probe.HEALTHY:
                proc.state = ProcessState.HEALTHY
                self.registrar.healthy(proc)
            else:
                proc.state = ProcessState.UNHEALTHY

    def _replace(self, proc: ManagedProcess, now: float) -> None:
        reason = proc.liveness.reason()
        self.registrar.gone(proc)
        # SIGKILL, not SIGTERM: a frozen process would never handle SIGTERM.
        proc.kill()
        proc.schedule_restart(now, reason)
        self.report(f"{proc.name} is not answering: {reason}; killed it, restarting with backoff")
        log.warning("%s replaced: %s", proc.name, reason)

    async def stop_all(self) -> None:
        """Tier by tier from the public side inwards; a tier's processes drain in parallel."""
        for _, group in groupby(reversed(self.processes), key=lambda proc: proc.spec.tier):
            batch = list(group)
            for proc in batch:
                self.registrar.gone(proc)
            await asyncio.gather(*(proc.stop() for proc in batch))
        self.ledger.close()
        self._write_status()

    def _write_status(self) -> None:
        now = time.monotonic()
        services = [
            ServiceStatus(
                name=proc.name,
                service=proc.service,
                kind="service" if proc.serves_http else "worker",
                region=proc.region,
                registered=proc.name in self.registrar.registered,
                state=proc.state.value,
                pid=proc.pid,
                port=proc.port,
                url=proc.url,
                restarts=proc.restarts,
                uptime_s=round(now - proc.started_at, 1) if proc.pid else 0.0,
                last_exit=proc.last_exit,
                health_failures=proc.liveness.failures,
                last_restart=proc.last_restart,
                log=str(proc.log_path),
            )
            for proc in self.processes
        ]
        status = PlatformStatus(
            supervisor_pid=os.getpid(),
            gateway_url=self.settings.gateway_url,
            updated_at=time.time(),
            services=services,
        )
        write_status(self.settings, status)


def _tail(proc: ManagedProcess, lines: int = 15) -> str:
    try:
        return "\n".join(proc.log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
