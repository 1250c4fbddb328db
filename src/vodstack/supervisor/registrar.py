"""The supervisor's registry agent: it registers, renews and deregisters instances for them.

Each healthy /healthz answer the supervisor gets renews that instance's lease (the heartbeat),
so registration follows exactly what the liveness probes see: an instance is registered once it
is healthy, a frozen one stops being renewed and is evicted after `scale.lease_s`, a drained or
exited one is deregistered at once. This is Netflix's Prana pattern (a sidecar doing Eureka
registration for a process that does not speak it): the services stay free of registry code,
and runners (edges, origin) are registered the same way. The registry failing is logged, never
fatal: the platform keeps running on the lists clients already hold.
"""

from __future__ import annotations

import logging

from vodstack.discovery import Instance, Registry, RegistryUnavailable
from vodstack.supervisor.process import ManagedProcess

log = logging.getLogger("vodstack.supervisor")


class Registrar:
    def __init__(self, registry: Registry | None) -> None:
        self.registry = registry
        self.registered: set[str] = set()

    def healthy(self, proc: ManagedProcess) -> None:
        """A healthy probe: renew the lease, registering first if the registry lost it."""
        if self.registry is None or not proc.serves_http:
            return  # a Celery worker takes tasks from the broker; nobody looks it up
        try:
            if not self.registry.renew(proc.service, proc.name):
                self.registry.register(Instance(proc.service, proc.name, proc.url, proc.region))
            self.registered.add(proc.name)
        except RegistryUnavailable as exc:
            log.warning("could not renew %s: %s", proc.name, exc)

    def gone(self, proc: ManagedProcess) -> None:
        """Drained, stopped, killed or exited: clients must stop picking it now."""
        self.registered.discard(proc.name)
        if self.registry is None or not proc.serves_http:
            return
        try:
            self.registry.deregister(proc.service, proc.name)
        except RegistryUnavailable as exc:
            log.warning("could not deregister %s: %s", proc.name, exc)

    def evict(self) -> list[str]:
        """Drop the leases that ran out (frozen instances); returns their names."""
        if self.registry is None:
            return []
        try:
            gone = self.registry.evict()
        except RegistryUnavailable as exc:
            log.warning("could not evict from the registry: %s", exc)
            return []
        for instance in gone:
            self.registered.discard(instance.instance_id)
        return [instance.instance_id for instance in gone]
