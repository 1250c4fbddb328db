"""Service discovery: which instances of a service are up, in the spirit of Netflix's Eureka.

Instances are registered when healthy, renewed by heartbeat, evicted after missed renewals and
deregistered when drained; clients cache the list and refresh it (`RegistryClient`). The
registry is a small interface (`Registry`) with an embedded SQLite backend under
`data_dir/run`, a Redis one shared by several hosts, and an in-memory one;
docs/architecture.md, "Instances and discovery".
"""

from vodstack.discovery.client import RegistryClient
from vodstack.discovery.opening import (
    open_registry,
    registry_client,
    registry_path,
    reset_registry,
)
from vodstack.discovery.redis import RedisRegistry
from vodstack.discovery.registry import Instance, MemoryRegistry, Registry, RegistryUnavailable
from vodstack.discovery.sqlite import SqliteRegistry

__all__ = [
    "Instance",
    "MemoryRegistry",
    "RedisRegistry",
    "Registry",
    "RegistryClient",
    "RegistryUnavailable",
    "SqliteRegistry",
    "open_registry",
    "registry_client",
    "registry_path",
    "reset_registry",
]
