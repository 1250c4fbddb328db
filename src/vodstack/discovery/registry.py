"""The registry interface, and its in-memory backend (one process: tests, embedded tools).

Eureka's vocabulary: `register` (also a renewal), `renew` (the heartbeat), `deregister` (Eureka's
cancel, sent when an instance is drained) and eviction of instances whose lease ran out without
a renewal. Readers see only instances whose lease is still running, so a frozen or killed
instance disappears from every client within a lease even before anything evicts it.
Time is a monotonic clock passed in (Linux's CLOCK_MONOTONIC is one clock for every process,
so the SQLite backend can compare renewals written by another process).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


class RegistryUnavailable(RuntimeError):
    """The registry could not be read or written (its file is gone, locked for too long...)."""


@dataclass(frozen=True)
class Instance:
    """One running instance of a service: where to reach it and where it is placed."""

    service: str
    instance_id: str  # unique within the platform, e.g. "catalog-2"
    url: str  # base URL, no trailing slash
    region: str | None = None


@dataclass(frozen=True)
class Lease:
    instance: Instance
    renewed_at: float


class Registry(ABC):
    """Where instances announce themselves and clients look them up."""

    def __init__(self, lease_s: float, clock: Clock = time.monotonic) -> None:
        self.lease_s = lease_s
        self.clock = clock

    @abstractmethod
    def register(self, instance: Instance) -> None:
        """Add `instance` (or replace its entry) with a fresh lease."""

    @abstractmethod
    def renew(self, service: str, instance_id: str) -> bool:
        """Extend the lease; False when the registry no longer knows the instance (evicted):
        the caller then registers it again, as a Eureka client does on a 404 renewal."""

    @abstractmethod
    def deregister(self, service: str, instance_id: str) -> None:
        """Remove the instance now (it is draining or stopped); unknown ones are ignored."""

    @abstractmethod
    def leases(self) -> list[Lease]:
        """Every entry, expired ones included, ordered by service and instance id."""

    @abstractmethod
    def evict(self) -> list[Instance]:
        """Remove the entries whose lease ran out; returns them."""

    def instances(self, service: str) -> list[Instance]:
        """The instances of `service` whose lease is running, ordered by instance id."""
        return [
            lease.instance
            for lease in self.leases()
            if lease.instance.service == service and self.alive(lease)
        ]

    def alive(self, lease: Lease) -> bool:
        return self.clock() - lease.renewed_at <= self.lease_s


class MemoryRegistry(Registry):
    """A registry inside one process."""

    def __init__(self, lease_s: float, clock: Clock = time.monotonic) -> None:
        super().__init__(lease_s, clock)
        self._leases: dict[tuple[str, str], Lease] = {}

    def register(self, instance: Instance) -> None:
        self._leases[(instance.service, instance.instance_id)] = Lease(instance, self.clock())

    def renew(self, service: str, instance_id: str) -> bool:
        lease = self._leases.get((service, instance_id))
        if lease is None:
            return False
        self._leases[(service, instance_id)] = Lease(lease.instance, self.clock())
        return True

    def deregister(self, service: str, instance_id: str) -> None:
        self._leases.pop((service, instance_id), None)

    def leases(self) -> list[Lease]:
        return [self._leases[key] for key in sorted(self._leases)]

    def evict(self) -> list[Instance]:
        gone = [lease for lease in self.leases() if not self.alive(lease)]
        for lease in gone:
            self.deregister(lease.instance.service, lease.instance.instance_id)
        return [lease.instance for lease in gone]
