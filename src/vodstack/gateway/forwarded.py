"""Who the client is, for rate limits: the peer, or X-Forwarded-For only behind trusted proxies.

`X-Forwarded-For` is whatever the client wrote, plus one address per proxy that appended to it.
So it is read from the right, skipping only hops that are configured proxies
(`trusted_proxies`); the first other address is the client. With no proxies configured (the
default) the header is ignored and the peer address counts: a client cannot name itself anew
for every attempt.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddresses:
    """Resolves the client address of a request given its peer and forwarding header."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted = tuple(ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies)

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str:
        if peer is None:
            return "unknown"
        if not forwarded_for or not self._is_proxy(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._is_proxy(hop):
                return hop
        # Every hop is one of our proxies: the left-most is as close to the client as we know.
        return hops[0] if hops else peer

    def _is_proxy(self, address: str) -> bool:
        if not self._trusted:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False  # garbage in the header is the client's doing, never a proxy
        return any(ip in network for network in self._trusted)
