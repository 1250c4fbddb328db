"""One supervised service process: spawn, health-check, restart with backoff, stop with drain.

A service dies with the supervisor even when the supervisor is killed with SIGKILL: it is
spawned with the parent-death signal armed (core.processes), from the supervisor's event-loop
thread, which lives as long as the supervisor process does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import httpx

from vodstack.config.settings import SupervisorSettings
from vodstack.core.processes import child_dies_with_us
from vodstack.supervisor.cpu_time import cpu_ticks
from vodstack.supervisor.liveness import Liveness
from vodstack.supervisor.registry import ServerKind, ServiceSpec
from vodstack.supervisor.workers import worker_command

BACKOFF_START_S = 0.5
BACKOFF_MAX_S = 30.0
# A process that stayed healthy this long has its backoff reset: it was not crash-looping.
STABLE_AFTER_S = 30.0


class ProcessState(StrEnum):
    STARTING = "starting"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    BACKOFF = "backoff"
    DRAINING = "draining"  # deregistered, finishing in-flight requests before it stops
    DOWN = "down"  # held down by `vodstack chaos kong` until `vodstack chaos stop`
    STOPPING = "stopping"
    STOPPED = "stopped"


# Probes of an instance on a shared port per round, each on a new connection, until it answers
# itself: with two instances all six miss it one round in 64.
SHARED_PORT_TRIES = 6


class Probe(StrEnum):
    """One /healthz probe: answered 200, answered something else, or no answer in time."""

    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    SILENT = "silent"
    # Another process on the same SO_REUSEPORT port (a gateway instance) answered: says
    # nothing of this one. Counting it as this one's answer marked a gateway healthy before it
    # had bound, and the game day's monkey then killed its sibling: port 8000 refused for 80 s.
    ELSEWHERE = "elsewhere"


@dataclass
class ManagedProcess:
    spec: ServiceSpec
    port: int
    settings_file: Path
    log_dir: Path
    state: ProcessState = ProcessState.STOPPED
    restarts: int = 0
    started_at: float = 0.0
    last_exit: int | None = None
    last_restart: str | None = None  # why the process was last restarted, for `status`
    policy: SupervisorSettings = field(default_factory=SupervisorSettings)
    # Which instance of the service this is (supervisor.instances); instance 1 by default.
    instance: str = ""
    region: str | None = None
    reuse_port: bool = False
    # A worker's own scratch directory (its `--scratch`); unused by services.
    scratch: Path | None = None
    liveness: Liveness = field(init=False)
    _popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _cpu_seen: int | None = field(default=None, repr=False)
    _backoff: float = BACKOFF_START_S
    _restart_at: float = 0.0

    def __post_init__(self) -> None:
        self.liveness = Liveness(self.policy)
        self.instance = self.instance or self.spec.name

    @property
    def name(self) -> str:
        """The instance's name: the service's for instance 1, `{service}-{k}` after."""
        return self.instance

    @property
    def service(self) -> str:
        return self.spec.name

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    @property
    def serves_http(self) -> bool:
        """False for a Celery worker (supervisor.workers): no port, no /healthz, no registry."""
        return self.spec.kind is not ServerKind.WORKER

    def command(self) -> list[str]:
        if not self.serves_http:
            scratch = self.scratch or self.log_dir / self.name
            return [sys.executable, "-m", "vodstack", *worker_command(self.settings_file, scratch)]
        command = [
            sys.executable,
            "-m",
            "vodstack",
            "serve",
            self.service,
            "--settings-file",
            str(self.settings_file),
            "--instance",
            self.instance,
            "--port",
            str(self.port),
        ]
        if self.reuse_port:
            command.append("--reuse-port")
        if self.region is not None:
            command += ["--region", self.region]
        return command

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        command = self.command()
        with self.log_path.open("ab") as log:
            # Own process group: a Ctrl-C in the terminal reaches the supervisor only, which
            # then stops children in order instead of all of them dying at once. Not its own
            # session: with Linux's sched_autogroup every session is a scheduling group of its
            # own, and the nice values that put background consumers below the request path
            # (core/priority.py) only weigh inside one group.
            self._popen = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=child_dies_with_us(),
            )
        self.state = ProcessState.STARTING
        self.started_at = time.monotonic()
        self._cpu_seen = None
        self.liveness.restarted(self.started_at)

    def worked(self) -> bool:
        """Whether the process used CPU since the last call (a starved process did, a frozen
        one did not); see supervisor/liveness.py."""
        pid = self.pid
        ticks = None if pid is None else cpu_ticks(pid)
        before, self._cpu_seen = self._cpu_seen, ticks
        return ticks is not None and before is not None and ticks > before

    def exited(self) -> int | None:
        """The exit code if the process has ended, else None."""
        if self._popen is None:
            return None
        return self._popen.poll()

    async def probe(self, client: httpx.AsyncClient) -> Probe:
        if not self.serves_http:
            return Probe.HEALTHY if self.exited() is None else Probe.SILENT
        if not self.reuse_port:
            return await self._probe_once(client, None)
        # On a shared port each connection goes to one of the instances (the kernel hashes
        # it): a kept-alive connection would ask the same one forever, so each try gets a new
        # connection, and a few tries reach this instance (a miss is then rare: a healthy
        # instance renews its registry lease on each probe it answers).
        probe = Probe.ELSEWHERE
        for _ in range(SHARED_PORT_TRIES):
            probe = await self._probe_once(client, {"Connection": "close"})
            if probe is not Probe.ELSEWHERE:
                break
        return probe

    async def _probe_once(self, client: httpx.AsyncClient, headers: dict[str, str] | None) -> Probe:
        try:
            response = await client.get(
                f"{self.url}/healthz", timeout=self.policy.liveness_timeout_s, headers=headers
            )
        except httpx.HTTPError:
            return Probe.SILENT
        if self.reuse_port and _answering_pid(response) not in (None, self.pid):
            return Probe.ELSEWHERE
        return Probe.HEALTHY if response.status_code == 200 else Probe.UNHEALTHY

    async def healthy(self, client: httpx.AsyncClient) -> bool:
        return await self.probe(client) is Probe.HEALTHY

    def schedule_restart(self, now: float, reason: str) -> None:
        self.last_exit = self.exited()
        self.last_restart = reason
        if now - self.started_at > STABLE_AFTER_S:
            self._backoff = BACKOFF_START_S
        self._restart_at = now + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)
        self.state = ProcessState.BACKOFF
        self._popen = None

    def hold_down(self) -> None:
        """Kill it and keep it stopped (chaos kong) until `release`."""
        self.kill()
        self._popen = None
        self.state = ProcessState.DOWN
        self.last_restart = "held down by chaos"

    def release(self, now: float) -> None:
        """Let a held-down process start again on the next tick."""
        self._restart_at = now
        self.state = ProcessState.BACKOFF

    def due_for_restart(self, now: float) -> bool:
        return self.state is ProcessState.BACKOFF and now >= self._restart_at

    # `timeout` is the drain grace before SIGKILL, not a cancellation deadline.
    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """SIGTERM (the server drains in-flight requests), then SIGKILL after `timeout`."""
        popen = self._popen
        if popen is None or popen.poll() is not None:
            self.state = ProcessState.STOPPED
            return
        self.state = ProcessState.STOPPING
        popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        # Popen has no awaitable exit; a short poll until the drain deadline is the simplest owner.
        while popen.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if popen.poll() is None:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()
        self.state = ProcessState.STOPPED

    def kill(self) -> None:
        """SIGKILL now, the whole process group (frozen process, chaos, emergency shutdown)."""
        if self._popen is not None and self._popen.poll() is None:
            os.killpg(self._popen.pid, signal.SIGKILL)
            self._popen.wait()


def _answering_pid(response: httpx.Response) -> int | None:
    """The pid in a /healthz answer (core/app.py), None from a process that does not say."""
    try:
        pid = response.json().get("pid")
    except ValueError:
        return None
    return pid if isinstance(pid, int) else None
