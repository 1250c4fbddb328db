"""The DNS steering process: the zone of `control.dns` on UDP, `/healthz` on TCP, same port number.

UDP and TCP ports are separate, so the supervisor probes and restarts this process like any
other (an HTTP `/healthz` on its port) while resolvers query it on UDP. Edge health comes from
its own `HealthMonitor` (the same checks playback runs), so DNS answers drop a dead edge within
about one health interval.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from typing import cast

import uvicorn

from vodstack.config import Settings
from vodstack.control.dns import EdgeZone
from vodstack.control.health import HealthMonitor
from vodstack.control.regions import RegionResolver
from vodstack.core.metrics import ASGIApp, Receive, Scope, Send
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


def health_app(counts: Counter[str]) -> ASGIApp:
    """`/healthz` and `/metrics` for the supervisor and Prometheus (no framework needed)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        status, kind = 200, b"application/json"
        if scope["path"] == "/healthz":
            body = json.dumps({"status": "ok", "service": "dns", **counts})
        elif scope["path"] == "/metrics":
            kind = b"text/plain; version=0.0.4"
            body = "".join(
                f'vodstack_dns_queries_total{{outcome="{k}"}} {v}\n' for k, v in counts.items()
            )
        else:
            status, body = 404, '{"detail": "DNS answers on UDP; this TCP port serves /healthz"}'
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]}
        )
        await send({"type": "http.response.body", "body": body.encode()})

    return app


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
    try:
        config = uvicorn.Config(
            health_app(counts), host=settings.host, port=port, log_config=None,
            access_log=False, lifespan="off",
        )  # fmt: skip
        await uvicorn.Server(config).serve()
    finally:
        transport.close()
        await monitor.stop()


def run_dns(settings: Settings, name: str = "dns") -> None:
    """Serve the DNS zone until stopped (the supervisor's RUNNER entry point)."""
    asyncio.run(serve_dns(settings, settings.cdn.dns.port))
