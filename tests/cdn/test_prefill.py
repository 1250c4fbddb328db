"""Planned fills (`POST /prefill` on an edge): service-token only, validated, single-flight."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.cdn.inprocess import running_stack
from tests.support.cdn import make_settings, sha256, write_asset
from tests.support.service_tokens import credentials
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER

pytestmark = pytest.mark.anyio

SEGS = ["/v/t1/v1/720p/seg_00000.m4s", "/v/t1/v1/720p/seg_00001.m4s"]


async def test_a_prefill_fetches_what_the_edge_lacks_and_viewers_then_hit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    files = write_asset(settings.data_dir / "objects", "t1", renditions=("720p",), segments=2)
    token = {SERVICE_TOKEN_HEADER: credentials(settings, "planner").token("edge")}
    async with running_stack(settings, "edge-eu-1") as stack:
        base = stack.topology.edge("edge-eu-1").url
        first = await stack.client.post(f"{base}/prefill", json={"objects": SEGS}, headers=token)
        assert first.status_code == 200, first.text
        size = sum(len(files[name]) for name in ("720p/seg_00000.m4s", "720p/seg_00001.m4s"))
        assert first.json() == {"filled": 2, "held": 0, "failed": [], "bytes": size}
        assert stack.origin_requests() == 2
        # Held now: a viewer hits, and asking again fetches nothing.
        hit = await stack.client.get(stack.url("edge-eu-1", "t1", "720p/seg_00001.m4s"))
        assert hit.headers["x-cache"] == "HIT"
        assert sha256(hit.content) == sha256(files["720p/seg_00001.m4s"])
        again = await stack.client.post(
            f"{base}/prefill", json={"objects": [*SEGS, "/v/t1/v1/720p/seg_00099.m4s"]},
            headers=token,
        )  # fmt: skip
        assert again.json() == {
            "filled": 0, "held": 2, "failed": ["/v/t1/v1/720p/seg_00099.m4s"], "bytes": 0,
        }  # fmt: skip
        objects = (await stack.client.get(f"{base}/holdings/objects")).json()["objects"]
        assert sorted(objects) == SEGS


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b'{"objects": "x"}', 400),
        (b'{"objects": ["/v/../etc/passwd"]}', 400),
        (b'{"objects": ["/elsewhere/a"]}', 404),
        (b'{"objects": [' + b",".join([b'"/v/t1/v1/720p/seg_00000.m4s"'] * 1001) + b"]}", 400),
    ],
)
async def test_bad_prefill_bodies_get_a_clear_4xx(tmp_path: Path, body: bytes, status: int) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    token = {SERVICE_TOKEN_HEADER: credentials(settings, "planner").token("edge")}
    async with running_stack(settings, "edge-eu-1") as stack:
        base = stack.topology.edge("edge-eu-1").url
        answer = await stack.client.post(f"{base}/prefill", content=body, headers=token)
        assert answer.status_code == status, answer.text
        assert "detail" in answer.json() or "error" in answer.json()
        assert stack.origin_requests() == 0


async def test_prefill_needs_a_service_token_for_the_edges(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)
    async with running_stack(settings, "edge-eu-1") as stack:
        base = stack.topology.edge("edge-eu-1").url
        body = {"objects": SEGS}
        missing = await stack.client.post(f"{base}/prefill", json=body)
        wrong = await stack.client.post(
            f"{base}/prefill", json=body,
            headers={SERVICE_TOKEN_HEADER: credentials(settings).token("catalog")},
        )  # fmt: skip
        assert missing.status_code == wrong.status_code == 401
        assert (await stack.client.get(f"{base}/prefill")).status_code == 405
        assert stack.origin_requests() == 0


async def test_a_title_s_first_miss_is_served_not_kept_but_a_planned_fill_is(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1,
                             admission_slices_per_day=8)  # fmt: skip
    files = write_asset(settings.data_dir / "objects", "t1", renditions=("720p",), segments=2)
    token = {SERVICE_TOKEN_HEADER: credentials(settings, "planner").token("edge")}
    async with running_stack(settings, "edge-eu-1") as stack:
        edge = stack.edges["edge-eu-1"]
        first = await stack.client.get(stack.url("edge-eu-1", "t1", "720p/seg_00000.m4s"))
        await edge.settle()
        assert first.headers["x-cache"] == "MISS"
        assert sha256(first.content) == sha256(files["720p/seg_00000.m4s"])
        # The title's first miss on this edge: served whole, not kept (the admission filter).
        assert len(edge.cache) == 0 and edge.stats.fills["refused"] == 1
        base = stack.topology.edge("edge-eu-1").url
        planned = await stack.client.post(f"{base}/prefill", json={"objects": SEGS[:1]},
                                          headers=token)  # fmt: skip
        assert planned.json()["filled"] == 1
        hit = await stack.client.get(stack.url("edge-eu-1", "t1", "720p/seg_00000.m4s"))
        assert hit.headers["x-cache"] == "HIT"


async def test_a_planned_fill_that_joins_a_viewer_s_refused_miss_is_kept(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1,
                             admission_slices_per_day=8)  # fmt: skip
    write_asset(settings.data_dir / "objects", "t1", renditions=("720p",), segments=2)
    token = {SERVICE_TOKEN_HEADER: credentials(settings, "planner").token("edge")}
    async with running_stack(settings, "edge-eu-1") as stack:
        base = stack.topology.edge("edge-eu-1").url
        # The viewer's miss (refused: the title's first) and the plan's fill of the same
        # object at once: whichever flight serves the plan, the object ends up kept.
        viewer, planned = await asyncio.gather(
            stack.client.get(stack.url("edge-eu-1", "t1", "720p/seg_00000.m4s")),
            stack.client.post(f"{base}/prefill", json={"objects": SEGS[:1]}, headers=token),
        )
        await stack.edges["edge-eu-1"].settle()
        assert viewer.status_code == 200 and planned.json()["filled"] == 1
        objects = (await stack.client.get(f"{base}/holdings/objects")).json()["objects"]
        assert objects == SEGS[:1]
