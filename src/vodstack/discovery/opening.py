"""The registry a platform uses, from its settings (the embedded SQLite one for now)."""

from __future__ import annotations

from pathlib import Path

from vodstack.config import Settings
from vodstack.discovery.client import RegistryClient
from vodstack.discovery.registry import Registry
from vodstack.discovery.sqlite import SqliteRegistry


def registry_path(settings: Settings) -> Path:
    return settings.data_dir / "run" / "registry.sqlite"


def open_registry(settings: Settings) -> Registry:
    return SqliteRegistry(registry_path(settings), settings.scale.lease_s)


def registry_client(settings: Settings) -> RegistryClient:
    """What a service process hands its typed clients as their `InstanceSource`."""
    return RegistryClient(
        open_registry(settings), settings.service_url, refresh_s=settings.scale.refresh_s
    )


def reset_registry(settings: Settings) -> None:
    """Forget a previous run's instances (their ports are gone; monotonic time restarts at boot)."""
    path = registry_path(settings)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
