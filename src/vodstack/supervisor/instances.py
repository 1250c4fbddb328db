"""Where instances of a service run: their names, ports and regions.

Instance 1 of a service keeps the service's name and configured port, so a platform with one
instance each looks exactly as before. Instance k > 1 is `{service}-{k}` on a port the kernel
hands out when it is started (nothing to configure, no clash with another platform's block).
Every gateway instance listens on the gateway's port with SO_REUSEPORT: the kernel spreads new
connections over them, so the public entry has no single process to lose.
Instance k of a scalable service is placed in region `regions[(k - 1) % len(regions)]`, which
is what `vodstack chaos kong` takes down; edges are placed by the topology; the single-instance
services (origin, events, telemetry, history) and the pipeline API's instances serve every
region and are placed in none.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from vodstack.config import Settings
from vodstack.config.settings import (
    REGIONLESS_SERVICES,
    SCALABLE_SERVICES,
    SHARED_PORT_SERVICES,
)
from vodstack.delivery.topology import Topology
from vodstack.supervisor.registry import ServiceSpec


@dataclass(frozen=True)
class InstanceSpec:
    spec: ServiceSpec
    index: int  # 1-based
    name: str
    region: str | None

    @property
    def service(self) -> str:
        return self.spec.name

    @property
    def reuse_port(self) -> bool:
        return self.spec.name in SHARED_PORT_SERVICES


def instance_name(service: str, index: int) -> str:
    return service if index == 1 else f"{service}-{index}"


def place(settings: Settings, spec: ServiceSpec, index: int) -> InstanceSpec:
    """Instance `index` of `spec`: its name and region."""
    edges = {edge.name: edge.region for edge in Topology.from_settings(settings).edges}
    if spec.name in edges:
        region: str | None = edges[spec.name]
    elif spec.name not in SCALABLE_SERVICES or spec.name in REGIONLESS_SERVICES:
        region = None  # serving every region (the origin, the stateful services, the pipeline)
    else:
        regions = settings.cdn.regions
        region = regions[(index - 1) % len(regions)]
    return InstanceSpec(spec, index, instance_name(spec.name, index), region)


def port_for(instance: InstanceSpec) -> int:
    """The port an instance listens on (see the module docstring)."""
    if (instance.index == 1 or instance.reuse_port) and instance.spec.port:
        return instance.spec.port
    return fresh_port()  # instance k > 1, or a service with no port of its own (the autoscaler)


def fresh_port() -> int:
    """A port free right now; another process may take it before the instance binds it, so an
    instance that dies before its first healthy answer is given a new one (supervisor)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
