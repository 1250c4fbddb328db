"""The DNS steering process: the zone of `control.dns` on UDP, `/healthz` on TCP, same port number.

UDP and TCP ports are separate, so the supervisor probes and restarts this process like any
other (an HTTP `/healthz` on its port) while resolvers query it on UDP. Edge health comes from
its own `HealthMonitor` (the same checks playback runs), so DNS answers drop a dead edge within
about one health interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import cast

from vodstack.config import Settings
from vodstack.control.dns import EdgeZone
from vodstack.control.health import HealthMonitor
from vodstack.control.health_endpoint import health_app, serve_health
from vodstack.control.regions import RegionResolver
from vodstack.delivery.topology import Topology

log = logging.getLogger(__name__)


class DnsProtocol(asyncio.DatagramProtocol):
    """One datagram in, at most one out; anything unparseable is dropped, as DNS servers do."""

    def __init__(self, zone: EdgeZone, counts: Counter[str]) -> None:
        self._zone = zone
        self._counts = counts
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDP transport is not a subclass of asyncio's, only shaped like one.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        answer = self._zone.answer(data, str(addr[0]))
        self._counts["answered" if answer is not None else "dropped"] += 1
        if answer is not None and self._transport is not None:
            self._transport.sendto(answer, addr)


def zone_from_settings(settings: Settings, monitor: HealthMonitor) -> EdgeZone:
    dns = settings.cdn.dns
    resolver = RegionResolver.from_settings(settings)
    return EdgeZone(
        Topology.from_settings(settings),
        monitor,
        lambda ip: resolver.resolve(client_ip=ip),
        zone=dns.zone,
        ttl_s=dns.ttl_s,
        addresses=dns.addresses,
    )


async def serve_dns(settings: Settings, port: int) -> None:
    topology = Topology.from_settings(settings)
    monitor = HealthMonitor.from_settings(settings, topology.edges)
    counts: Counter[str] = Counter()
    zone = zone_from_settings(settings, monitor)
    loop = asyncio.get_running_loop()
    await monitor.start()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: DnsProtocol(zone, counts), local_addr=(settings.host, port)
    )
    log.info("DNS steering for %s on udp %s:%d", settings.cdn.dns.zone, settings.host, port)
    app = health_app("dns", lambda: dict(counts), lambda: _metrics(counts))
    try:
        await serve_health(app, settings.host, port)
    finally:
        transport.close()
        await monitor.stop()


def _metrics(counts: Counter[str]) -> str:
    return "".join(f'vodstack_dns_queries_total{{outcome="{k}"}} {v}\n' for k, v in counts.items())


def run_dns(settings: Settings, name: str = "dns") -> None:
    """Serve the DNS zone until stopped (the supervisor's RUNNER entry point)."""
    asyncio.run(serve_dns(settings, settings.cdn.dns.port))
