"""DNS steering: an authoritative zone that answers the edge name with the viewer's region's edges.

The second way into the delivery tier beside playback's ranked URL list (docs/cdn.md, "DNS
steering"), the way CDNs steer clients that only know a host name. Names under `zone`:

- `edge.{zone}` A/AAAA: the healthy edges of the client's region, least loaded first (no healthy
  edge there: the healthy edges of the other regions; none at all: the origin);
- `_http._tcp.edge.{zone}` SRV: the same edges with their ports (several edges may share one
  address, as on a laptop), each target `{edge-name}.{zone}` with its address in the additional
  section;
- `{edge-name}.{zone}` A/AAAA: that edge, healthy or not (a client that was told a name keeps it);
- the apex: SOA and NS.

The client's region comes from the EDNS Client Subnet option (RFC 7871) when the resolver sends
one, else from the address the query came from, through the same `RegionResolver` (CIDR map,
GeoIP) playback uses. An answer derived from a subnet carries that subnet back with scope =
source prefix, so a resolver caches it for that subnet only. Names outside the zone are REFUSED:
this server is authoritative, never recursive.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from dnslib import AAAA, EDNS0, NS, QTYPE, RCODE, RR, SOA, SRV, A, DNSLabel, DNSRecord, EDNSOption

from vodstack.control.steering import HealthView
from vodstack.delivery.topology import EdgeNode, Topology

ECS_OPTION = 8  # EDNS Client Subnet
_FAMILY_BITS = {1: 32, 2: 128}
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class ClientSubnet:
    """The subnet a resolver said its client is in (family 1 = IPv4, 2 = IPv6)."""

    family: int
    source_prefix: int
    address: Address

    @classmethod
    def parse(cls, data: bytes) -> ClientSubnet | None:
        """The option's payload, or None when it is malformed (the query is then answered by
        source address, as RFC 7871 allows for an option a server cannot use)."""
        if len(data) < 4:
            return None
        family = int.from_bytes(data[:2], "big")
        source, bits = data[2], _FAMILY_BITS.get(int.from_bytes(data[:2], "big"))
        raw = data[4:]
        if bits is None or source > bits or len(raw) != (source + 7) // 8:
            return None
        padded = raw + bytes(bits // 8 - len(raw))
        address: Address = (
            ipaddress.IPv4Address(padded) if family == 1 else ipaddress.IPv6Address(padded)
        )
        return cls(family, source, address)

    def answer_option(self) -> EDNSOption:
        """The option echoed in the answer: same subnet, scope = source (valid for all of it)."""
        raw = self.address.packed[: (self.source_prefix + 7) // 8]
        payload = self.family.to_bytes(2, "big") + bytes([self.source_prefix, self.source_prefix])
        return EDNSOption(ECS_OPTION, payload + raw)


def address_of(host: str) -> Address:
    """An edge URL's host as an address (names are resolved once, when the zone is built)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return ipaddress.ip_address(socket.getaddrinfo(host, None)[0][4][0])


class EdgeZone:
    """Answers DNS queries for the edges of one topology; `answer` is pure (no I/O)."""

    def __init__(
        self,
        topology: Topology,
        health: HealthView,
        region_of: Callable[[str], str],
        *,
        zone: str = "edges.vodstack.test",
        ttl_s: int = 20,
        addresses: dict[str, str] | None = None,
    ) -> None:
        self._topology = topology
        self._health = health
        self._region_of = region_of
        self._zone = DNSLabel(zone)
        self._ttl = ttl_s
        overrides = addresses or {}
        self._addresses = {
            edge.name: address_of(overrides.get(edge.name) or _host(edge.url))
            for edge in topology.edges
        }
        self._origin = address_of(_host(topology.origin_url))
        self._edge_name = DNSLabel(f"edge.{zone}")
        self._srv_name = DNSLabel(f"_http._tcp.edge.{zone}")

    def answer(self, query: bytes, source_ip: str) -> bytes | None:
        """The packed answer to a packed query, or None for something that is not a query."""
        try:
            request = DNSRecord.parse(query)
        except Exception:  # dnslib raises several types (DNSError, struct and index errors)
            return None
        if request.header.qr or not request.questions:
            return None
        reply = request.reply()
        reply.header.aa = 1
        reply.header.ra = 0
        reply.header.ad = 0  # nothing here is DNSSEC-validated
        subnet = _client_subnet(request)
        edns = any(rr.rtype == QTYPE.OPT for rr in request.ar)
        qname, qtype = request.q.qname, request.q.qtype
        if not qname.matchSuffix(self._zone):
            reply.header.rcode = RCODE.REFUSED
        else:
            client = str(subnet.address) if subnet else source_ip
            if not self._fill(reply, qname, qtype, client):
                reply.header.rcode = RCODE.NXDOMAIN
            if not reply.rr:
                reply.add_auth(self._soa())
        if edns:
            reply.add_ar(EDNS0(udp_len=1232, opts=[subnet.answer_option()] if subnet else []))
        return bytes(reply.pack())

    def steer(self, client_ip: str) -> list[EdgeNode]:
        """The edges `edge.{zone}` names for this client, best first."""
        healthy = [e for e in self._topology.edges if self._health.is_healthy(e.name)]
        region = self._region_of(client_ip)
        home = [e for e in healthy if e.region == region] or healthy
        return sorted(home, key=lambda e: (self._health.load(e.name), e.name))

    def _fill(self, reply: DNSRecord, qname: DNSLabel, qtype: int, client: str) -> bool:
        """Add the answer records; False when the name does not exist in the zone."""
        if qname == self._zone:
            if qtype in (QTYPE.SOA, QTYPE.ANY):
                reply.add_answer(self._soa())
            if qtype in (QTYPE.NS, QTYPE.ANY):
                reply.add_answer(RR(self._zone, QTYPE.NS, rdata=NS(self._ns()), ttl=self._ttl))
            return True
        if qname == self._edge_name:
            edges = self.steer(client)
            addresses = [self._addresses[e.name] for e in edges] or [self._origin]
            self._add_addresses(reply, qname, qtype, addresses, answer=True)
            return True
        if qname == self._srv_name:
            if qtype in (QTYPE.SRV, QTYPE.ANY):
                for rank, edge in enumerate(self.steer(client)):
                    target = DNSLabel(f"{edge.name}.{self._zone}")
                    rdata = SRV(priority=rank, weight=1, port=edge.port, target=target)
                    reply.add_answer(RR(qname, QTYPE.SRV, rdata=rdata, ttl=self._ttl))
                    self._add_addresses(reply, target, QTYPE.ANY, [self._addresses[edge.name]])
            return True
        for edge in self._topology.edges:
            if qname == DNSLabel(f"{edge.name}.{self._zone}"):
                self._add_addresses(reply, qname, qtype, [self._addresses[edge.name]], answer=True)
                return True
        return False

    def _add_addresses(
        self,
        reply: DNSRecord,
        name: DNSLabel,
        qtype: int,
        addresses: Iterable[Address],
        *,
        answer: bool = False,
    ) -> None:
        add = reply.add_answer if answer else reply.add_ar
        for address in dict.fromkeys(addresses):  # several edges may share an address
            if address.version == 4 and qtype in (QTYPE.A, QTYPE.ANY):
                add(RR(name, QTYPE.A, rdata=A(str(address)), ttl=self._ttl))
            elif address.version == 6 and qtype in (QTYPE.AAAA, QTYPE.ANY):
                add(RR(name, QTYPE.AAAA, rdata=AAAA(str(address)), ttl=self._ttl))

    def _ns(self) -> DNSLabel:
        return DNSLabel(f"ns.{self._zone}")

    def _soa(self) -> RR:
        rdata = SOA(
            mname=self._ns(),
            rname=DNSLabel(f"hostmaster.{self._zone}"),
            times=(1, 3600, 600, 86400, self._ttl),
        )
        return RR(self._zone, QTYPE.SOA, rdata=rdata, ttl=self._ttl)


def _client_subnet(request: DNSRecord) -> ClientSubnet | None:
    for rr in request.ar:
        if rr.rtype == QTYPE.OPT:
            options: Sequence[EDNSOption] = rr.rdata or []
            for option in options:
                if option.code == ECS_OPTION:
                    return ClientSubnet.parse(bytes(option.data))
    return None


def _host(url: str) -> str:
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    if netloc.startswith("["):  # [v6]:port
        return netloc[1:].split("]", 1)[0]
    return netloc.rsplit(":", 1)[0]
