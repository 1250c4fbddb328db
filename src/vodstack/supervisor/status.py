"""The supervisor's state file (`data_dir/run/status.json`), written by `up`, read by `status`."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel

from vodstack.config import Settings
from vodstack.core.processes import pid_alive


class ServiceStatus(BaseModel):
    name: str  # the instance: the service's name for instance 1, `{service}-{k}` after
    service: str = ""
    kind: str = "service"  # or "worker": a Celery worker, no port and no /healthz
    region: str | None = None
    registered: bool = False  # in the registry (healthy and renewed)
    state: str
    pid: int | None
    port: int
    url: str
    restarts: int
    uptime_s: float
    last_exit: int | None
    # Liveness (supervisor.liveness): failed /healthz probes in a row, and why it last restarted.
    health_failures: int = 0
    last_restart: str | None = None
    log: str


class PlatformStatus(BaseModel):
    supervisor_pid: int
    gateway_url: str
    updated_at: float
    services: list[ServiceStatus]


def run_dir(settings: Settings) -> Path:
    return settings.data_dir / "run"


def status_path(settings: Settings) -> Path:
    return run_dir(settings) / "status.json"


def write_status(settings: Settings, status: PlatformStatus) -> None:
    path = status_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(status.model_dump_json(indent=2))
    tmp.replace(path)


def read_status(settings: Settings) -> PlatformStatus | None:
    path = status_path(settings)
    if not path.is_file():
        return None
    return PlatformStatus.model_validate_json(path.read_text())


class AlreadyRunning(RuntimeError):
    """Another supervisor owns this data directory."""


def acquire_lock(settings: Settings) -> Path:
    """A pid file, so two `vodstack up` never share one data directory."""
    path = run_dir(settings) / "supervisor.pid"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        try:
            other = int(path.read_text().strip() or 0)
        except ValueError:
            other = 0
        if other and other != os.getpid() and pid_alive(other):
            raise AlreadyRunning(
                f"vodstack is already running from {settings.data_dir} (supervisor pid {other}); "
                "stop it first or use another --data-dir"
            )
    path.write_text(str(os.getpid()))
    return path


def write_settings_file(settings: Settings) -> Path:
    """Settings for the child processes, secret included, readable by the owner only."""
    path = run_dir(settings) / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(settings.dump_for_child())
    return path
