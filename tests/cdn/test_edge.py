"""The edge in-process (ASGI apps, no sockets): headers, tokens, paths, cache, crash safety."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.cdn.inprocess import running_stack
from tests.support.cdn import make_settings, sha256, write_asset
from vodstack.cdn.edge import EdgeApp
from vodstack.core.metrics import Message
from vodstack.delivery.assets import asset_url_prefix
from vodstack.delivery.tokens import TokenSigner

pytestmark = pytest.mark.anyio

SEG = "720p/seg_00000.m4s"


async def test_a_miss_fills_from_origin_and_the_next_request_hits(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    files = write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, "edge-eu-1") as stack:
        first = await stack.client.get(stack.url("edge-eu-1", "t1", SEG))
        await stack.edges["edge-eu-1"].settle()
        second = await stack.client.get(stack.url("edge-eu-1", "t1", SEG))
    assert first.status_code == second.status_code == 200
    assert sha256(first.content) == sha256(second.content) == sha256(files[SEG])
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("MISS", "HIT")
    for response in (first, second):
        assert response.headers["content-type"] == "video/iso.segment"
        assert response.headers["content-length"] == str(len(files[SEG]))
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["access-control-allow-origin"] == "*"
    assert first.headers["etag"] == second.headers["etag"]
    assert stack.origin_requests() == 1


async def test_manifests_get_a_short_ttl_and_their_own_types(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1, manifest_ttl_s=3)
    write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, "edge-eu-1") as stack:
        hls = await stack.client.get(stack.url("edge-eu-1", "t1", "master.m3u8"))
        dash = await stack.client.get(stack.url("edge-eu-1", "t1", "manifest.mpd"))
        init = await stack.client.get(stack.url("edge-eu-1", "t1", "360p/init.mp4"))
    assert hls.headers["content-type"] == "application/vnd.apple.mpegurl"
    assert hls.headers["cache-control"] == "public, max-age=3"
    assert dash.headers["content-type"] == "application/dash+xml"
    assert init.headers["content-type"] == "video/mp4"


@pytest.mark.parametrize("cached", [False, True], ids=["miss", "hit"])
async def test_range_head_and_conditional_requests(tmp_path: Path, cached: bool) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    files = write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, "edge-eu-1") as stack:
        url = stack.url("edge-eu-1", "t1", SEG)
        if cached:
            await stack.client.get(url)
            await stack.edges["edge-eu-1"].settle()
        part = await stack.client.get(url, headers={"range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.content == files[SEG][100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(files[SEG])}"
        beyond = await stack.client.get(url, headers={"range": "bytes=99999999-"})
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == f"bytes */{len(files[SEG])}"
        head = await stack.client.head(url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(len(files[SEG]))
        etag = head.headers["etag"]
        again = await stack.client.get(url, headers={"if-none-match": etag})
        assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    ("token_kind", "code"),
    [
        ("missing", "token_missing"),
        ("garbage", "token_malformed"),
        ("expired", "token_expired"),
        ("other_path", "token_bad_signature"),
        ("other_key", "token_bad_signature"),
    ],
)
async def test_bad_tokens_get_403_without_touching_origin(
    tmp_path: Path, token_kind: str, code: str
) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    write_asset(settings.data_dir / "objects", "t1")
    signer = TokenSigner.from_settings(settings)
    tokens = {
        "missing": "",
        "garbage": "not-a-token",
        "expired": signer.sign(asset_url_prefix("t1", "v1"), "s", ttl_s=-5),
        "other_path": signer.sign(asset_url_prefix("t2", "v1"), "s", ttl_s=60),
        "other_key": TokenSigner(b"k" * 32).sign(asset_url_prefix("t1", "v1"), "s", ttl_s=60),
    }
    async with running_stack(settings, "edge-eu-1") as stack:
        response = await stack.client.get(
            stack.url("edge-eu-1", "t1", SEG, token=tokens[token_kind])
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == code
        if token_kind == "missing":
            # Someone who opened an edge URL by hand is told where the signed URLs come from.
            assert "hls_stream_url" in response.json()["error"]["message"]
        assert stack.origin_requests() == 0
        edge = stack.edges["edge-eu-1"]
        assert len(edge.cache) == 0 and edge.stats.misses == 0
        # The origin itself refuses the same token too (viewers reach it as a last resort).
        direct = await stack.client.get(stack.url("origin", "t1", SEG, token=tokens[token_kind]))
        assert direct.status_code == 403


async def _call(app: EdgeApp, raw_path: bytes, method: str = "GET") -> Message:
    """Drive the app with a hand-made scope, so the raw path reaches it unnormalised."""
    scope = {
        "type": "http",
        "method": method,
        "path": raw_path.decode("latin-1"),
        "raw_path": raw_path,
        "query_string": b"",
        "headers": [],
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]


@pytest.mark.parametrize(
    "raw",
    [
        b"/v/../../etc/passwd",
        b"/v/t1/v1/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        b"/v/t1/v1/..\\..\\..\\etc\\passwd",
        b"/v/t1/v1/seg%00.m4s",
        b"/v/t1/v1/seg\x00.m4s",
        b"/v/t1/v1//etc/passwd",
        b"//etc/passwd",
        b"/etc/passwd",
    ],
)
async def test_traversal_and_malformed_paths_never_reach_disk(tmp_path: Path, raw: bytes) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    async with running_stack(settings, "edge-eu-1") as stack:
        start = await _call(stack.edges["edge-eu-1"], raw)
        assert start["status"] in (400, 404)
        assert stack.origin_requests() == 0


async def test_cors_preflight_and_unsupported_methods(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    async with running_stack(settings, "edge-eu-1") as stack:
        url = stack.url("edge-eu-1", "t1", SEG)
        preflight = await stack.client.options(
            url,
            headers={
                "origin": "http://localhost:8000",
                "access-control-request-method": "GET",
                "access-control-request-headers": "range",
            },
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert preflight.headers["access-control-allow-headers"] == "range"
        post = await stack.client.post(url)
        assert post.status_code == 405


async def test_unknown_objects_are_404_and_not_cached(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, "edge-eu-1") as stack:
        response = await stack.client.get(stack.url("edge-eu-1", "t1", "720p/seg_09999.m4s"))
        assert response.status_code == 404
        assert len(stack.edges["edge-eu-1"].cache) == 0


async def test_capacity_is_respected_by_evicting_least_recently_used(tmp_path: Path) -> None:
    # Room for three 300 kB segments: the fourth evicts the least recently used one.
    settings = make_settings(
        tmp_path, regions=["eu"], edges_per_region=1, capacity_bytes=3 * 300_000 + 1000
    )
    write_asset(settings.data_dir / "objects", "t1", renditions=("720p",), segments=4)
    async with running_stack(settings, "edge-eu-1") as stack:
        edge = stack.edges["edge-eu-1"]
        for n in (0, 1, 2, 0, 3):  # segment 0 is touched again, so 1 is the LRU victim
            url = stack.url("edge-eu-1", "t1", f"720p/seg_{n:05d}.m4s")
            assert (await stack.client.get(url)).status_code == 200
            await edge.settle()
        assert edge.cache.evictions == 1
        assert edge.cache.used_bytes <= edge.cache.capacity_bytes
        cached = {key.rsplit(b"/", 1)[1] for key in edge.cache.index}
        assert cached == {b"seg_00000.m4s", b"seg_00002.m4s", b"seg_00003.m4s"}
        files_on_disk = list((settings.data_dir / "edges" / "edge-eu-1" / "objects").rglob("*.m4s"))
        assert len(files_on_disk) == 3
        metrics = edge.metrics().decode()
        policy = settings.cdn.eviction.value
        assert f'vodstack_edge_evictions_total{{policy="{policy}"}} 1' in metrics
        # Five equal segments, one of them a hit: a fifth of the bytes came from disk.
        ratio = next(line for line in metrics.splitlines() if line.startswith("vodstack_edge_byte"))
        assert float(ratio.split()[-1]) == pytest.approx(0.2)
        assert 'vodstack_edge_info{edge="edge-eu-1",region="eu"' in metrics
        health = edge.health()
        assert health["byte_hit_ratio"] == 0.2 and health["evictions"] == 1
        assert health["titles_held"] == 1 and health["eviction"] == policy


async def test_holdings_follow_fills_evictions_and_restarts(tmp_path: Path) -> None:
    # Room for three 300 kB segments over two titles: the fourth fill evicts one of them.
    settings = make_settings(
        tmp_path, regions=["eu"], edges_per_region=1, capacity_bytes=3 * 300_000 + 1000
    )
    for title in ("t1", "t2"):
        write_asset(settings.data_dir / "objects", title, renditions=("720p",), segments=2)

    def by_title(edge: EdgeApp) -> dict[str, int]:
        held: dict[str, int] = {}
        for served in edge.cache.index.values():
            title = served.prefix.split(b"/")[2].decode()
            held[title] = held.get(title, 0) + served.size
        return held

    async with running_stack(settings, "edge-eu-1") as stack:
        edge = stack.edges["edge-eu-1"]
        base = stack.topology.edge("edge-eu-1").url
        assert (await stack.client.get(f"{base}/holdings")).json() == {
            "edge": "edge-eu-1",
            "titles": {},
        }
        for title, n in (("t1", 0), ("t1", 1), ("t2", 0)):
            url = stack.url("edge-eu-1", title, f"720p/seg_{n:05d}.m4s")
            assert (await stack.client.get(url)).status_code == 200
            await edge.settle()
        answer = (await stack.client.get(f"{base}/holdings")).json()
        assert set(answer["titles"]) == {"t1", "t2"}
        assert answer["titles"]["t1"] > answer["titles"]["t2"] > 0
        assert answer["titles"] == by_title(edge)
        await stack.client.get(stack.url("edge-eu-1", "t2", "720p/seg_00001.m4s"))
        await edge.settle()
        assert edge.cache.evictions >= 1
        assert edge.cache.holdings() == by_title(edge)
        before_restart = edge.cache.holdings()
    async with running_stack(settings, "edge-eu-1") as stack:
        assert stack.edges["edge-eu-1"].cache.holdings() == before_restart


async def test_an_object_larger_than_the_cache_is_served_but_not_kept(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1, capacity_bytes=1000)
    files = write_asset(settings.data_dir / "objects", "t1", renditions=("720p",), segments=1)
    async with running_stack(settings, "edge-eu-1") as stack:
        response = await stack.client.get(stack.url("edge-eu-1", "t1", SEG))
        assert response.content == files[SEG]
        await stack.edges["edge-eu-1"].settle()
        assert len(stack.edges["edge-eu-1"].cache) == 0
        assert not list((settings.data_dir / "edges" / "edge-eu-1" / "tmp").iterdir())


async def test_a_restart_keeps_complete_files_and_drops_crash_leftovers(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    files = write_asset(settings.data_dir / "objects", "t1")
    cache_dir = settings.data_dir / "edges" / "edge-eu-1"
    async with running_stack(settings, "edge-eu-1") as stack:
        await stack.client.get(stack.url("edge-eu-1", "t1", SEG))
        await stack.edges["edge-eu-1"].settle()
    # What a crash mid-fill leaves behind: a torn temp file (never renamed into objects/).
    torn = cache_dir / "tmp" / "deadbeef.part"
    torn.write_bytes(b"half a segm")
    async with running_stack(settings, "edge-eu-1") as stack:
        edge = stack.edges["edge-eu-1"]
        assert not torn.exists()
        assert len(edge.cache) == 1
        response = await stack.client.get(stack.url("edge-eu-1", "t1", SEG))
        assert response.headers["x-cache"] == "HIT"
        assert response.content == files[SEG]
        assert stack.origin_requests() == 0


async def test_a_peer_in_the_region_is_asked_before_origin(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=2)
    files = write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, "edge-eu-1", "edge-eu-2") as stack:
        await stack.client.get(stack.url("edge-eu-1", "t1", SEG))
        await stack.edges["edge-eu-1"].settle()
        assert stack.origin_requests() == 1
        response = await stack.client.get(stack.url("edge-eu-2", "t1", SEG))
        assert response.content == files[SEG]
        assert stack.origin_requests() == 1, "the second edge must fill from its peer"
        second = stack.edges["edge-eu-2"]
        assert second.stats.fill_bytes["peer"] == len(files[SEG])
        # A peer never fills on behalf of another edge: a cold object goes to origin once.
        await stack.client.get(stack.url("edge-eu-2", "t1", "360p/init.mp4"))
        assert stack.origin_requests() == 2
        assert stack.edges["edge-eu-1"].stats.misses == 2  # the probe was a miss there


async def test_a_dead_peer_falls_back_to_origin(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=2)
    files = write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, "edge-eu-1") as stack:  # edge-eu-2 never started
        response = await stack.client.get(stack.url("edge-eu-1", "t1", SEG))
        assert response.content == files[SEG]
        assert stack.origin_requests() == 1


async def test_concurrent_misses_make_one_upstream_fetch(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    files = write_asset(settings.data_dir / "objects", "t1")
    async with running_stack(settings, "edge-eu-1") as stack:
        url = stack.url("edge-eu-1", "t1", SEG)
        responses = await asyncio.gather(*(stack.client.get(url) for _ in range(50)))
        assert {r.status_code for r in responses} == {200}
        assert all(r.content == files[SEG] for r in responses)
        assert stack.origin_requests() == 1
        edge = stack.edges["edge-eu-1"]
        assert edge.stats.upstream_requests["origin"] == 1
        assert edge.stats.misses == 50 and edge.stats.shared_misses == 49
