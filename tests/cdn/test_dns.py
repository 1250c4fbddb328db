"""DNS steering: the zone's answers (in-process) and the real server queried with `dig`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dnslib import EDNS0, QTYPE, RCODE, DNSRecord, EDNSOption

from tests.support.cdn import Cluster, make_settings
from tests.support.ports import free_port
from tests.support.waiting import eventually
from vodstack.config import Settings
from vodstack.control.dns import ECS_OPTION, ClientSubnet, EdgeZone
from vodstack.control.regions import RegionResolver
from vodstack.delivery.topology import Topology

ZONE = "edges.vodstack.test"
CIDRS = {"10.1.0.0/16": "eu", "10.2.0.0/16": "us"}
ADDRESSES = {"edge-eu-1": "10.9.0.11", "edge-eu-2": "10.9.0.12", "edge-us-1": "10.9.0.21"}


class FakeHealth:
    def __init__(self) -> None:
        self.down: set[str] = set()
        self.loads: dict[str, float] = {}

    def is_healthy(self, name: str) -> bool:
        return name not in self.down

    def load(self, name: str) -> float:
        return self.loads.get(name, 0.0)

    def holds(self, name: str, title_id: str) -> bool:
        return False


@pytest.fixture
def topology(tmp_path: Path) -> Topology:
    return Topology.from_settings(make_settings(tmp_path, regions=["eu", "us"], edges_per_region=2))


def _zone(topology: Topology, health: FakeHealth) -> EdgeZone:
    resolver = RegionResolver(["eu", "us"], cidr_regions=CIDRS)
    region_of = lambda ip: resolver.resolve(client_ip=ip)  # noqa: E731
    return EdgeZone(topology, health, region_of, zone=ZONE, ttl_s=7, addresses=ADDRESSES)


def _ask(zone: EdgeZone, name: str, qtype: str, *, subnet: str | None, source: str) -> DNSRecord:
    query = DNSRecord.question(name, qtype)
    if subnet is not None:
        address, prefix = subnet.split("/")
        raw = bytes(int(part) for part in address.split("."))[: (int(prefix) + 7) // 8]
        payload = (1).to_bytes(2, "big") + bytes([int(prefix), 0]) + raw
        query.add_ar(EDNS0(udp_len=1232, opts=[EDNSOption(ECS_OPTION, payload)]))
    answer = zone.answer(query.pack(), source)
    assert answer is not None
    return DNSRecord.parse(answer)


def _a_records(reply: DNSRecord) -> list[str]:
    return [str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A]


def test_the_client_subnet_picks_the_region_least_loaded_first(topology: Topology) -> None:
    health = FakeHealth()
    health.loads = {"edge-eu-1": 9.0, "edge-eu-2": 1.0}
    zone = _zone(topology, health)
    eu = _ask(zone, f"edge.{ZONE}", "A", subnet="10.1.7.0/24", source="192.0.2.1")
    assert _a_records(eu) == ["10.9.0.12", "10.9.0.11"]
    assert eu.header.aa == 1 and eu.header.rcode == RCODE.NOERROR
    assert all(rr.ttl == 7 for rr in eu.rr)
    # The subnet comes back with scope = source prefix: the answer holds for all of 10.1.7/24.
    echoed = [opt for rr in eu.ar if rr.rtype == QTYPE.OPT for opt in rr.rdata]
    assert [(opt.code, opt.data) for opt in echoed] == [
        (ECS_OPTION, b"\x00\x01\x18\x18\x0a\x01\x07")
    ]
    us = _ask(zone, f"edge.{ZONE}", "A", subnet="10.2.0.0/16", source="192.0.2.1")
    # edge-us-2 has no configured address: its URL's host (127.0.0.1) answers.
    assert _a_records(us) == ["10.9.0.21", "127.0.0.1"]


def test_without_a_subnet_the_source_address_decides(topology: Topology) -> None:
    zone = _zone(topology, FakeHealth())
    reply = _ask(zone, f"edge.{ZONE}", "A", subnet=None, source="10.2.3.4")
    assert set(_a_records(reply)) == {"10.9.0.21", "127.0.0.1"}
    assert not reply.ar  # no EDNS in the query, none in the answer


def test_unhealthy_edges_are_dropped_and_a_dead_region_falls_back(topology: Topology) -> None:
    health = FakeHealth()
    health.down = {"edge-eu-1"}
    zone = _zone(topology, health)
    assert _a_records(_ask(zone, f"edge.{ZONE}", "A", subnet="10.1.0.0/16", source="x")) == [
        "10.9.0.12"
    ]
    health.down = {"edge-eu-1", "edge-eu-2"}
    fallback = _a_records(_ask(zone, f"edge.{ZONE}", "A", subnet="10.1.0.0/16", source="x"))
    assert set(fallback) == {"10.9.0.21", "127.0.0.1"}
    health.down = set(topology.names)
    origin = _a_records(_ask(zone, f"edge.{ZONE}", "A", subnet="10.1.0.0/16", source="x"))
    assert origin == ["127.0.0.1"]


def test_srv_records_carry_each_edges_port_and_address(topology: Topology) -> None:
    zone = _zone(topology, FakeHealth())
    reply = _ask(zone, f"_http._tcp.edge.{ZONE}", "SRV", subnet="10.1.0.0/24", source="x")
    srv = [rr.rdata for rr in reply.rr if rr.rtype == QTYPE.SRV]
    ports = {edge.name: edge.port for edge in topology.edges}
    assert sorted((str(r.target), r.port) for r in srv) == [
        (f"edge-eu-1.{ZONE}.", ports["edge-eu-1"]),
        (f"edge-eu-2.{ZONE}.", ports["edge-eu-2"]),
    ]
    extra = {str(rr.rname): str(rr.rdata) for rr in reply.ar if rr.rtype == QTYPE.A}
    assert extra == {f"edge-eu-1.{ZONE}.": "10.9.0.11", f"edge-eu-2.{ZONE}.": "10.9.0.12"}


def test_names_errors_and_garbage(topology: Topology) -> None:
    health = FakeHealth()
    health.down = {"edge-us-1"}
    zone = _zone(topology, health)
    # A named edge answers even when unhealthy: a client that was given the name keeps it.
    named = _ask(zone, f"edge-us-1.{ZONE}", "A", subnet=None, source="x")
    assert _a_records(named) == ["10.9.0.21"]
    missing = _ask(zone, f"nothing.{ZONE}", "A", subnet=None, source="x")
    assert missing.header.rcode == RCODE.NXDOMAIN
    assert [rr.rtype for rr in missing.auth] == [QTYPE.SOA]
    outside = _ask(zone, "example.com", "A", subnet=None, source="x")
    assert outside.header.rcode == RCODE.REFUSED and not outside.rr
    apex = _ask(zone, ZONE, "NS", subnet=None, source="x")
    assert [str(rr.rdata) for rr in apex.rr] == [f"ns.{ZONE}."]
    # No AAAA for IPv4 edges: an empty NOERROR answer with the SOA, not NXDOMAIN.
    empty = _ask(zone, f"edge.{ZONE}", "AAAA", subnet=None, source="x")
    assert empty.header.rcode == RCODE.NOERROR and not empty.rr and empty.auth
    assert zone.answer(b"\x00\x01garbage", "x") is None
    assert zone.answer(b"", "x") is None


def test_a_malformed_client_subnet_is_ignored_not_fatal() -> None:
    assert ClientSubnet.parse(b"\x00\x01\x18") is None  # too short
    assert ClientSubnet.parse(b"\x00\x03\x18\x00\x01\x02\x03") is None  # unknown family
    assert ClientSubnet.parse(b"\x00\x01\x21\x00\x01\x02\x03\x04\x05") is None  # /33
    assert ClientSubnet.parse(b"\x00\x01\x18\x00\x01\x02") is None  # /24 needs 3 bytes
    parsed = ClientSubnet.parse(b"\x00\x01\x10\x00\x0a\x02")
    assert parsed is not None and str(parsed.address) == "10.2.0.0"


# --- the real server, asked by dig ------------------------------------------------------------


@pytest.fixture(scope="module")
def dns_server(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    if shutil.which("dig") is None:
        pytest.fail("dig is missing: `bash scripts/install --dev` installs dnsutils")
    port = free_port()
    base = cluster.settings
    settings = base.model_copy(
        update={
            "cdn": base.cdn.model_copy(
                update={
                    "cidr_regions": CIDRS,
                    "health_interval_s": 0.2,
                    "dns": base.cdn.dns.model_copy(
                        update={"port": port, "zone": ZONE, "addresses": ADDRESSES}
                    ),
                }
            )
        }
    )
    settings_file = tmp_path_factory.mktemp("dns") / "settings.json"
    settings_file.write_text(settings.dump_for_child())
    log = settings_file.with_name("dns.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "vodstack", "serve", "dns", "--settings-file", str(settings_file)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def healthy() -> bool:
            assert process.poll() is None, settings_file.with_name("dns.log").read_text()
            try:
                return httpx.get(f"http://{settings.host}:{port}/healthz").status_code == 200
            except httpx.HTTPError:
                return False

        # A Python process importing the CDN package: seconds on a quiet machine, tens of them
        # on a loaded one; the test is about what it answers, not how fast it starts.
        eventually(healthy, timeout_s=60, message="the DNS server did not start")
        yield settings
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _dig(settings: Settings, *args: str) -> list[str]:
    command = ["dig", "+short", "+tries=1", "+time=2", f"@{settings.host}"]
    command += ["-p", str(settings.cdn.dns.port), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=20).stdout.split("\n")


@pytest.mark.slow
def test_dig_gets_the_viewers_region_and_loses_a_killed_edge(
    cluster: Cluster, dns_server: Settings
) -> None:
    edge = f"edge.{ZONE}"
    assert sorted(filter(None, _dig(dns_server, "+subnet=10.1.2.0/24", edge))) == [
        "10.9.0.11",
        "10.9.0.12",
    ]
    srv = f"_http._tcp.{edge}"
    us = [line.split() for line in _dig(dns_server, "+subnet=10.2.0.0/24", srv, "SRV") if line]
    ports = {edge.port for edge in cluster.topology.edges if edge.region == "us"}
    assert {int(fields[2]) for fields in us} == ports
    cluster.stop("edge-eu-1", kill=True)
    try:
        eventually(
            lambda: (
                list(filter(None, _dig(dns_server, "+subnet=10.1.2.0/24", edge))) == ["10.9.0.12"]
            ),
            timeout_s=20,
            message="DNS kept answering with the killed edge",
        )
    finally:
        cluster.start("edge-eu-1")
    eventually(
        lambda: len(list(filter(None, _dig(dns_server, "+subnet=10.1.2.0/24", edge)))) == 2,
        timeout_s=20,
        message="DNS did not take the restarted edge back",
    )
