"""The delivery tier as real processes: granian origin + 2 regions x 2 edges on free ports."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from tests.support.cdn import Cluster, sha256, write_asset
from vodstack.control.health import HealthMonitor
from vodstack.control.steering import Steering
from vodstack.gateway.edge_overview import CdnOverview, overview

ORIGIN_200 = ("vodstack_origin_requests_total", 'status="200"')


def origin_fetches(cluster: Cluster) -> float:
    try:
        return cluster.metric("origin", *ORIGIN_200)
    except KeyError:
        return 0.0


def test_every_file_matches_origin_byte_for_byte(cluster: Cluster) -> None:
    files = write_asset(cluster.objects, "hashes")
    for edge in ("edge-eu-1", "edge-us-2"):
        for name, content in files.items():
            via_edge = httpx.get(cluster.asset_url(edge, "hashes", name))
            direct = httpx.get(cluster.asset_url("origin", "hashes", name))
            assert via_edge.status_code == direct.status_code == 200, name
            assert sha256(via_edge.content) == sha256(direct.content) == sha256(content), name
            assert via_edge.headers["etag"] == direct.headers["etag"]
            assert via_edge.headers["content-type"] == direct.headers["content-type"]


def test_range_and_cors_over_the_wire(cluster: Cluster) -> None:
    files = write_asset(cluster.objects, "ranges")
    url = cluster.asset_url("edge-eu-2", "ranges", "720p/seg_00001.m4s")
    whole = files["720p/seg_00001.m4s"]
    for _ in range(2):  # a miss, then a hit
        part = httpx.get(url, headers={"range": "bytes=-1000"})
        assert part.status_code == 206
        assert part.content == whole[-1000:]
        assert part.headers["content-length"] == "1000"
    preflight = httpx.options(
        url, headers={"origin": "http://x", "access-control-request-method": "GET"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_100_concurrent_misses_make_one_origin_fetch(cluster: Cluster) -> None:
    files = write_asset(cluster.objects, "stampede", renditions=("1080p",), segment_bytes=2_000_000)
    name = "1080p/seg_00000.m4s"
    url = cluster.asset_url("edge-eu-1", "stampede", name)
    before_origin = origin_fetches(cluster)
    before_upstream = cluster.metric(
        "edge-eu-1", "vodstack_edge_upstream_requests_total", 'source="origin"'
    )

    async def stampede() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            return await asyncio.gather(*(client.get(url) for _ in range(100)))

    responses = asyncio.run(stampede())
    assert all(r.status_code == 200 and r.content == files[name] for r in responses)
    # The peer in the region was asked once (it did not have it); the origin exactly once.
    assert origin_fetches(cluster) - before_origin == 1
    after_upstream = cluster.metric(
        "edge-eu-1", "vodstack_edge_upstream_requests_total", 'source="origin"'
    )
    assert after_upstream - before_upstream == 1


@pytest.mark.parametrize(
    "token", ["", "garbage", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]
)
def test_bad_tokens_never_reach_origin(cluster: Cluster, token: str) -> None:
    write_asset(cluster.objects, "denied")
    before = origin_fetches(cluster)
    url = f"{cluster.url('edge-us-1')}/v/denied/v1/720p/seg_00000.m4s?t={token}"
    response = httpx.get(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"].startswith("token_")
    assert origin_fetches(cluster) == before


def _raw_status(base_url: str, target: bytes) -> int:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        head = sock.recv(1024)
    return int(head.split(b" ", 2)[1])


@pytest.mark.parametrize(
    "target",
    [
        b"/v/../../../../etc/passwd",
        b"/v/t1/v1/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        b"/v/t1/v1/..%2f..%2f..%2fetc%2fpasswd",
        b"/v/t1/v1/..\\..\\..\\etc\\passwd",
        b"/v/t1/v1/seg%00.m4s",
        b"/v/t1/v1//etc/passwd",
        b"//etc/passwd",
    ],
)
def test_traversal_is_rejected_on_the_wire(cluster: Cluster, target: bytes) -> None:
    for name in ("edge-eu-1", "origin"):
        assert _raw_status(cluster.url(name), target) in (400, 404)


def test_a_peer_fills_before_origin_across_processes(cluster: Cluster) -> None:
    files = write_asset(cluster.objects, "peered")
    name = "720p/seg_00002.m4s"
    assert httpx.get(cluster.asset_url("edge-eu-1", "peered", name)).status_code == 200
    cluster.settle("edge-eu-1")
    before = origin_fetches(cluster)
    peer_bytes = cluster.metric("edge-eu-2", "vodstack_edge_fill_bytes_total", 'source="peer"')
    response = httpx.get(cluster.asset_url("edge-eu-2", "peered", name))
    assert response.content == files[name]
    assert origin_fetches(cluster) == before
    after = cluster.metric("edge-eu-2", "vodstack_edge_fill_bytes_total", 'source="peer"')
    assert after - peer_bytes == len(files[name])


def test_killing_an_edge_leaves_the_others_serving(cluster: Cluster) -> None:
    files = write_asset(cluster.objects, "failover")
    name = "360p/seg_00000.m4s"
    assert httpx.get(cluster.asset_url("edge-us-2", "failover", name)).status_code == 200
    cluster.settle("edge-us-2")
    cluster.stop("edge-us-2", kill=True)
    try:
        # The dead edge refuses at once; a survivor slow to answer on a loaded host (a suite on
        # several workers) must not count as down, so its probe may take its time.
        monitor = HealthMonitor(cluster.topology.edges, timeout_s=10.0)

        async def check() -> None:
            async with httpx.AsyncClient() as client:
                await monitor.check_once(client)

        asyncio.run(check())
        assert not monitor.is_healthy("edge-us-2")
        ranked = Steering(cluster.topology, monitor).rank("failover", "us")
        assert cluster.url("edge-us-2") not in ranked
        assert ranked[0] == cluster.url("edge-us-1")
        # The survivors serve, including objects only the dead peer had (origin fallback).
        for other in ("edge-us-1", "edge-eu-1"):
            for file in (name, "360p/seg_00001.m4s"):
                response = httpx.get(cluster.asset_url(other, "failover", file))
                assert response.status_code == 200 and response.content == files[file]
    finally:
        cluster.start("edge-us-2")
    # Restarted on the same directory, the edge still has what it cached before the kill.
    again = httpx.get(cluster.asset_url("edge-us-2", "failover", name))
    assert again.headers["x-cache"] == "HIT"


def test_steering_sends_viewers_to_the_edge_that_holds_the_title(cluster: Cluster) -> None:
    write_asset(cluster.objects, "held", renditions=("360p",), segments=1)
    monitor = HealthMonitor(cluster.topology.edges, timeout_s=2.0, holdings_every=1)

    def checked() -> list[str]:
        async def check() -> None:
            async with httpx.AsyncClient() as client:
                await monitor.check_once(client)

        asyncio.run(check())
        return Steering(cluster.topology, monitor).rank("held", "eu")

    plain = checked()
    # Fill the eu edge that rendezvous ranks second; once polled, it leads for this title.
    second = plain[1]
    name = next(e.name for e in cluster.topology.edges if e.url == second)
    assert httpx.get(cluster.asset_url(name, "held", "360p/seg_00000.m4s")).status_code == 200
    cluster.settle(name)
    assert checked()[:2] == [second, plain[0]]


def test_the_cdn_overview_sums_real_edges_offload_per_region(cluster: Cluster) -> None:
    files = write_asset(cluster.objects, "offload", renditions=("360p",), segments=1)
    url = cluster.asset_url("edge-us-1", "offload", "360p/seg_00000.m4s")
    for _ in range(2):  # a miss from a peer or the origin, then a hit
        assert httpx.get(url).status_code == 200
        cluster.settle("edge-us-1")

    async def read() -> CdnOverview:
        async with httpx.AsyncClient() as client:
            return await overview(cluster.topology, client)

    figures = asyncio.run(read())
    us1 = next(edge for edge in figures.edges if edge.name == "edge-us-1")
    assert us1.up and us1.eviction == cluster.settings.cdn.eviction.value
    assert us1.cache_bytes_served >= len(files["360p/seg_00000.m4s"])
    assert us1.fill_bytes_peer + us1.fill_bytes_origin >= len(files["360p/seg_00000.m4s"])
    assert 0 < us1.byte_hit_ratio < 1 and us1.titles_held >= 1
    us = next(region for region in figures.regions if region.region == "us")
    edges_us = [edge for edge in figures.edges if edge.region == "us"]
    assert us.served_bytes == sum(edge.served_bytes for edge in edges_us)
    cached = sum(edge.cache_bytes_served for edge in edges_us)
    assert us.byte_hit_ratio == round(cached / us.served_bytes, 4)
