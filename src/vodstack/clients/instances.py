"""Where a service's instances are: the seam between the balancing clients and discovery.

A balancing client asks its source for the current base URLs each time it picks one, so a
source may change its answer at any time (instances started, drained, evicted). Any object with
this method will do (a registry client, say); `StaticInstances` is the one built from settings.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from vodstack.config.settings import Settings
from vodstack.discovery.opening import registry_client
from vodstack.discovery.registry import RegistryUnavailable

log = logging.getLogger(__name__)


class InstanceSource(Protocol):
    def instances(self, service: str) -> Sequence[str]:
        """Base URLs ("http://127.0.0.1:8102") of the service's instances now; may be empty."""
        ...


@runtime_checkable
class RegionalSource(Protocol):
    """A source that also knows where its instances are placed (the registry client does)."""

    def region_of(self, service: str, url: str) -> str | None:
        """The region of an instance it listed for `service`; None when unknown."""
        ...


class StaticInstances:
    """The instances the settings name: `resilience.instances[service]`, else the one
    `service_url(service)`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def instances(self, service: str) -> Sequence[str]:
        listed = self._settings.resilience.instances.get(service)
        return listed if listed else [self._settings.service_url(service)]


def instance_source(settings: Settings) -> InstanceSource:
    """Where a process's clients find instances: the settings' list when one is given (tests,
    benchmarks starting their own instances), else the platform's registry (which answers the
    configured URL while it knows no instance, e.g. a service run alone)."""
    if settings.resilience.instances:
        return StaticInstances(settings)
    try:
        return registry_client(settings)
    except RegistryUnavailable as exc:
        log.warning("no registry (%s); using the configured instances", exc)
        return StaticInstances(settings)
