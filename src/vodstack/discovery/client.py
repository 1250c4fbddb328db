"""What a typed client asks for an instance list: the registry, cached and refreshed.

`RegistryClient.instances(service)` is the `InstanceSource` the typed clients call each time
they pick an instance (clients/instances.py). Like a Eureka client it answers from a cache that
it refreshes every `refresh_s`, keeps its last list when the registry cannot be read (a
registry outage must not take every caller down), and falls back to the service's configured
URL when the registry knows no instance at all (a platform started before the registry, a
single process under test).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vodstack.discovery.registry import Clock, Registry, RegistryUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Cached:
    urls: tuple[str, ...]
    fetched_at: float
    regions: dict[str, str | None]


class RegistryClient:
    def __init__(
        self,
        registry: Registry,
        fallback: Callable[[str], str],
        *,
        refresh_s: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._registry = registry
        self._fallback = fallback
        self._refresh_s = refresh_s
        self._clock = clock
        self._cache: dict[str, _Cached] = {}

    def instances(self, service: str) -> Sequence[str]:
        """Base URLs of the live instances of `service`, never empty."""
        cached = self._cache.get(service)
        now = self._clock()
        if cached is not None and now - cached.fetched_at < self._refresh_s:
            return cached.urls
        self._cache[service] = self._read(service, cached, now)
        return self._cache[service].urls

    def region_of(self, service: str, url: str) -> str | None:
        """The region the registry places that instance in (None: unknown or not placed)."""
        cached = self._cache.get(service)
        return cached.regions.get(url) if cached is not None else None

    def _read(self, service: str, cached: _Cached | None, now: float) -> _Cached:
        try:
            found = self._registry.instances(service)
        except RegistryUnavailable:
            log.warning("registry unreadable; keeping the last instance list of %s", service)
            if cached is not None:
                return _Cached(cached.urls, now, cached.regions)
            found = []
        if not found:
            return _Cached((self._fallback(service),), now, {})
        return _Cached(tuple(i.url for i in found), now, {i.url: i.region for i in found})
