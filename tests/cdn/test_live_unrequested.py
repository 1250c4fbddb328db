"""The live planner with `cdn.fill_plan.unrequested`: positions nobody requested, named from
the origin's listing of the title (real files, real sizes), filled from the origin."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.support.cdn import Cluster, make_settings, write_asset
from tests.support.waiting import eventually
from vodstack.cdn.listing import AUDIENCE, listing_path
from vodstack.control.live_planner import LivePlanner, PlanReport
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials

SEGMENT = 10_000
EDGE = "edge-eu-1"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One edge with room for 40 segments; "full" watched to the end in both renditions,
    "part" to the end in 360p but only to segment 2 in 720p."""
    root = tmp_path_factory.mktemp("unrequested")
    (root / "logs").mkdir()
    settings = make_settings(
        root / "data", regions=["eu"], edges_per_region=1, capacity_bytes=40 * SEGMENT + 5000
    )
    running = Cluster(settings, root / "logs")
    running.objects.mkdir(parents=True)
    try:
        running.start("origin")
        running.start(EDGE)
        for title in ("full", "part"):
            write_asset(running.objects, title, segments=6, segment_bytes=SEGMENT)
        watched = {("full", "360p"): 6, ("full", "720p"): 6, ("part", "360p"): 6,
                   ("part", "720p"): 3}  # fmt: skip
        for _ in range(3):
            for (title, rendition), last in watched.items():
                for n in range(last):
                    url = running.asset_url(EDGE, title, f"{rendition}/seg_{n:05d}.m4s")
                    assert httpx.get(url).status_code == 200
        running.settle(EDGE)
        log = settings.data_dir / "edges" / EDGE / "access.log"
        eventually(lambda: log.exists() and log.read_text().count(" 200 ") >= 63, timeout_s=15)
        yield running
    finally:
        running.stop_all()


def _window(cluster: Cluster, unrequested: bool) -> PlanReport:
    fill = cluster.settings.cdn.fill_plan.model_copy(
        update={"unrequested": unrequested, "planned_share": 1.0, "auto_share": False}
    )
    settings = cluster.settings.model_copy(
        update={"cdn": cluster.settings.cdn.model_copy(update={"fill_plan": fill})}
    )

    async def run() -> PlanReport:
        async def no_sleep(_seconds: float) -> None:
            return None

        async with httpx.AsyncClient() as client:
            return await LivePlanner(settings, client, sleep=no_sleep).run_window()

    return asyncio.run(run())


def _held(cluster: Cluster) -> set[str]:
    return set(httpx.get(f"{cluster.url(EDGE)}/holdings/objects").json()["objects"])


def test_the_origin_lists_a_version_to_services_only(cluster: Cluster) -> None:
    url = f"{cluster.url('origin')}{listing_path('part', 'v1')}"
    assert httpx.get(url).status_code == 401
    token = ServiceCredentials.from_settings(cluster.settings, "planner").token(AUDIENCE)
    headers = {SERVICE_TOKEN_HEADER: token}
    files = httpx.get(url, headers=headers).json()["files"]
    assert files["720p/seg_00005.m4s"] == SEGMENT and "master.m3u8" in files
    missing = f"{cluster.url('origin')}{listing_path('nothing', 'v1')}"
    assert httpx.get(missing, headers=headers).status_code == 404
    bad = f"{cluster.url('origin')}/listing/..%2f/v1"
    assert httpx.get(bad, headers=headers).status_code == 400


def test_the_live_planner_fills_unrequested_positions_from_the_origin(cluster: Cluster) -> None:
    unseen = {f"/v/part/v1/720p/seg_{n:05d}.m4s" for n in (3, 4, 5)}
    off = _window(cluster, unrequested=False)
    assert off.state == "done" and off.listings == 0
    assert off.regions["eu"].edges[EDGE].unrequested == 0
    assert not unseen & _held(cluster), "nobody asked for them, nothing named them"
    origin_before = cluster.metric(EDGE, "vodstack_edge_fill_bytes_total", 'source="origin"')
    on = _window(cluster, unrequested=True)
    assert on.state == "done" and on.listings == 1 and on.listings_failed == 0
    progress = on.regions["eu"].edges[EDGE]
    assert progress.unrequested == 3 and progress.failed == 0
    assert progress.filled_bytes == 3 * SEGMENT, "only the unrequested ones were missing"
    assert unseen <= _held(cluster)
    # The planned fills came from the origin (the only tier a lone edge has).
    origin_after = cluster.metric(EDGE, "vodstack_edge_fill_bytes_total", 'source="origin"')
    assert origin_after - origin_before == 3 * SEGMENT
    used = httpx.get(f"{cluster.url(EDGE)}/healthz").json()["used_bytes"]
    assert used <= cluster.settings.cdn.capacity_bytes
