"""Which services make up the platform and how each one is served.

A service is listed only if its package exists, so `vodstack up` never starts a placeholder.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from vodstack.config import Settings
from vodstack.delivery.topology import Topology


class ServerKind(StrEnum):
    FASTAPI = "fastapi"  # create_app(settings) served by uvicorn
    RUNNER = "runner"  # a run(settings, name) function that serves until stopped
    WORKER = "worker"  # `vodstack worker` (supervisor.workers): no HTTP, alive is healthy


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    target: str  # "module:attribute"
    kind: ServerKind = ServerKind.FASTAPI
    tier: int = 1  # start order: lower tiers first; the gateway (public) starts last
    port: int = 0  # resolved by `platform_services` for the settings in force

    @property
    def module(self) -> str:
        return self.target.split(":", 1)[0]

    def available(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except ModuleNotFoundError:
            return False

    def load(self) -> Callable[..., Any]:
        module, attribute = self.target.split(":", 1)
        loaded: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
        return loaded


_CORE = (
    ServiceSpec("origin", "vodstack.cdn.server:run_origin", ServerKind.RUNNER, tier=0),
    ServiceSpec("accounts", "vodstack.services.accounts.app:create_app"),
    ServiceSpec("catalog", "vodstack.services.catalog.app:create_app"),
    ServiceSpec("playback", "vodstack.services.playback.app:create_app"),
    # The API only, as any number of instances; the pool, the catalog drain and the upload
    # reaper run in one `pipeline-workers` process (_PIPELINE_WORKERS).
    ServiceSpec("pipeline", "vodstack.pipeline.service.app:create_api"),
    ServiceSpec("events", "vodstack.services.events.app:create_app"),
    ServiceSpec("telemetry", "vodstack.services.telemetry.app:create_app"),
    ServiceSpec("history", "vodstack.services.history.app:create_app"),
    ServiceSpec("billing", "vodstack.services.billing.app:create_app"),
    ServiceSpec("experiments", "vodstack.services.experiments.app:create_app"),
    # The fill planner (control/live_planner.py): idle until the nightly window.
    ServiceSpec("planner", "vodstack.control.planner_server:run_planner", ServerKind.RUNNER, 3),
    # After history and telemetry (tier 2): its rows read both.
    ServiceSpec("recs", "vodstack.services.recs.app:create_app", tier=2),
    ServiceSpec("gateway", "vodstack.gateway.app:create_app", tier=9),
)


# The autoscaler (supervisor.autoscale): started after the gateway, stopped before it, so it
# never scales a platform that is starting or stopping. It listens on a port the kernel picks
# (port 0 below) unless the port map names one: nothing calls it but the supervisor's probes.
_AUTOSCALER = ServiceSpec("autoscaler", "vodstack.supervisor.autoscale.app:create_app", tier=10)


# The pipeline's worker pool (pipeline.service.workers_app): one per platform, beside the
# pipeline API's instances. Like the autoscaler, on a port the kernel picks unless the port map
# names one: only the supervisor's probes call it.
_PIPELINE_WORKERS = ServiceSpec(
    "pipeline-workers", "vodstack.pipeline.service.workers_app:create_app", tier=1
)


def _edges(settings: Settings) -> list[ServiceSpec]:
    """One process per edge of the configured topology (regions x edges per region)."""
    return [
        ServiceSpec(edge.name, "vodstack.cdn.server:run_edge", ServerKind.RUNNER, 2, edge.port)
        for edge in Topology.from_settings(settings).edges
    ]


def _dns(settings: Settings) -> list[ServiceSpec]:
    """The DNS steering server when `cdn.dns.port` is set (UDP for DNS, TCP for /healthz)."""
    port = settings.cdn.dns.port
    return [ServiceSpec("dns", "vodstack.control.dns_server:run_dns", ServerKind.RUNNER, 3, port)]


def platform_services(settings: Settings) -> list[ServiceSpec]:
    """The services `vodstack up` runs for these settings, in start order."""
    specs = [replace(spec, port=settings.port(spec.name)) for spec in _CORE if spec.available()]
    if any(spec.name == "pipeline" for spec in specs):
        specs.append(replace(_PIPELINE_WORKERS, port=settings.port(_PIPELINE_WORKERS.name)))
    specs += _edges(settings)
    if settings.cdn.dns.port:
        specs += _dns(settings)
    if settings.autoscale.enabled:
        specs.append(replace(_AUTOSCALER, port=settings.port(_AUTOSCALER.name)))
    return sorted(specs, key=lambda spec: spec.tier)


class PartialPortMap(ValueError):
    """`ports` names some of the platform's services but not all: the rest would silently take
    the default ports, where another instance's services may be the ones answering."""


def check_port_map(settings: Settings) -> None:
    """Refuse a partial port map: every core service named, and every edge or none (unnamed
    edges take `cdn.base_port + i`). Raises `PartialPortMap` naming the missing services."""
    core = [spec.name for spec in _CORE if spec.available()]
    edges = [spec.name for spec in _edges(settings)]
    missing = [name for name in core if name not in settings.ports]
    if any(name in settings.ports for name in edges):
        missing += [name for name in edges if name not in settings.ports]
    if missing:
        raise PartialPortMap(
            f"the port map (VODSTACK_PORTS or `ports`) leaves out {', '.join(missing)}; they "
            "would run on the default ports, where another instance may be listening. "
            "Give every service a port."
        )


def find_service(settings: Settings, name: str) -> ServiceSpec:
    for spec in platform_services(settings):
        if spec.name == name:
            return spec
    raise KeyError(name)
