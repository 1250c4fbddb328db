"""The registry a platform uses, from its settings: the embedded SQLite one, or Redis when
`redis.url` is set (several hosts)."""

from __future__ import annotations

from pathlib import Path

from vodstack.config import Settings
from vodstack.discovery.client import RegistryClient
from vodstack.discovery.redis import RedisRegistry
from vodstack.discovery.registry import Registry
from vodstack.discovery.sqlite import SqliteRegistry


def registry_path(settings: Settings) -> Path:
    return settings.data_dir / "run" / "registry.sqlite"


def open_registry(settings: Settings) -> Registry:
    if settings.redis.url is not None:
        return RedisRegistry(
            settings.redis.url,
            settings.scale.lease_s,
            prefix=settings.redis.prefix,
            timeout_s=settings.redis.timeout_s,
            retry_s=settings.redis.retry_s,
        )
    return SqliteRegistry(registry_path(settings), settings.scale.lease_s)


def registry_client(settings: Settings) -> RegistryClient:
    """What a service process hands its typed clients as their `InstanceSource`."""
    return RegistryClient(
        open_registry(settings), settings.service_url, refresh_s=settings.scale.refresh_s
    )


def reset_registry(settings: Settings) -> None:
    """Forget a previous run's instances (their ports are gone; monotonic time restarts at boot).

    In Redis only the expired leases go: other hosts' instances share the registry, and the
    server's clock does not restart with this host."""
    if settings.redis.url is not None:
        open_registry(settings).evict()
        return
    path = registry_path(settings)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
