"""The live fill planner: access logs -> plan -> prefills to real edges, paced and reported."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.support.cdn import Cluster, make_settings, write_asset
from tests.support.waiting import eventually
from vodstack.config.settings import FillPlanSettings
from vodstack.control.access_trace import as_trace, parse_access_line
from vodstack.control.live_planner import LivePlanner, PlanReport, read_report
from vodstack.control.planner_server import next_window, render_metrics
from vodstack.gateway.edge_overview import CdnOverview, overview, with_plan

LINE = "2026-12-06T09:50:01Z GET /v/{title}/{version}/{file} 200 2000 MISS /v/t1/a/720p/s_1.m4s\n"


def test_access_lines_become_requests_and_everything_else_is_left_out() -> None:
    request = parse_access_line(LINE, "eu")
    assert request is not None
    assert (request.path, request.size, request.region) == ("/v/t1/a/720p/s_1.m4s", 2000, "eu")
    assert request.when == datetime(2026, 12, 6, 9, 50, 1, tzinfo=UTC).timestamp()
    for other in (
        LINE.replace(" 200 ", " 206 "),  # partial: the object's size is unknown
        LINE.replace(" 200 ", " 304 "),
        LINE.replace("GET", "HEAD"),
        LINE.replace("/v/{title}/{version}/{file}", "-"),
        "2026-12-06T09:50:01Z POST /prefill 200 55 - /prefill\n",  # planned fills are not demand
        LINE[:30],  # a line cut by a crash
        LINE.replace("2026-12-06T09:50:01Z", "yesterday"),
    ):
        assert parse_access_line(other, "eu") is None, other
    first = parse_access_line(LINE, "eu")
    again = parse_access_line(LINE.replace(" 2000 ", " 1000 "), "us")  # a cut-short answer
    assert first is not None and again is not None
    trace = as_trace([first, again])
    assert trace.names == ["/v/t1/a/720p/s_1.m4s"] and trace.sizes == [2000]
    assert sorted(trace.regions) == ["eu", "us"]


def test_the_next_window_is_the_next_start_hour_utc() -> None:
    fill = FillPlanSettings(window_start_hour=4)
    at = datetime(2026, 12, 6, 3, 59, tzinfo=UTC).timestamp()
    assert next_window(at, fill) == datetime(2026, 12, 6, 4, tzinfo=UTC).timestamp()
    at = datetime(2026, 12, 6, 4, 0, tzinfo=UTC).timestamp()
    assert next_window(at, fill) == datetime(2026, 12, 7, 4, tzinfo=UTC).timestamp()


@pytest.fixture(scope="module")
def small_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One region of two edges, each with room for 6 of the test's 100 kB segments."""
    root = tmp_path_factory.mktemp("planner")
    (root / "logs").mkdir()
    settings = make_settings(
        root / "data", regions=["eu"], edges_per_region=2, capacity_bytes=6 * 100_000 + 5000
    )
    running = Cluster(settings, root / "logs")
    running.objects.mkdir(parents=True)
    try:
        running.start("origin")
        for name in running.topology.names:
            running.start(name)
        yield running
    finally:
        running.stop_all()


def _held(cluster: Cluster, edge: str) -> set[str]:
    return set(httpx.get(f"{cluster.url(edge)}/holdings/objects").json()["objects"])


def test_a_window_fills_both_edges_with_complementary_popular_titles(
    small_cluster: Cluster,
) -> None:
    cluster = small_cluster
    for title in ("hot", "warm", "cold"):
        write_asset(cluster.objects, title, renditions=("360p",), segments=3, segment_bytes=100_000)
    # Demand, all through edge-eu-1: hot 4 times, warm twice, cold once per segment.
    for title, times in (("hot", 4), ("warm", 2), ("cold", 1)):
        for _ in range(times):
            for n in range(3):
                url = cluster.asset_url("edge-eu-1", title, f"360p/seg_{n:05d}.m4s")
                assert httpx.get(url).status_code == 200
    cluster.settle("edge-eu-1")
    log = cluster.settings.data_dir / "edges" / "edge-eu-1" / "access.log"
    asset_200 = "{file} 200 "
    eventually(lambda: log.exists() and log.read_text().count(asset_200) >= 21, timeout_s=15)

    waits: list[float] = []
    fill = cluster.settings.cdn.fill_plan.model_copy(update={"rate_bytes_per_s": 1_000_000})
    settings = cluster.settings.model_copy(
        update={"cdn": cluster.settings.cdn.model_copy(update={"fill_plan": fill})}
    )

    async def window() -> PlanReport:
        async def no_sleep(seconds: float) -> None:
            waits.append(seconds)

        async with httpx.AsyncClient() as client:
            return await LivePlanner(settings, client, sleep=no_sleep).run_window()

    report = asyncio.run(window())
    assert report.state == "done" and report.requests_learnt >= 21
    region = report.regions["eu"]
    assert 0 < region.predicted_offload <= 1
    planned_total = sum(edge.planned_objects for edge in region.edges.values())
    assert planned_total >= 3  # at least the hot title, whose segments lead the forecast
    held = {edge: _held(cluster, edge) for edge in ("edge-eu-1", "edge-eu-2")}
    for name, progress in region.edges.items():
        assert progress.failed == 0
        assert progress.filled_objects == progress.to_fill
        # Never past the disk budget, however the plan came out.
        used = httpx.get(f"{cluster.url(name)}/healthz").json()["used_bytes"]
        assert used <= cluster.settings.cdn.capacity_bytes
    # The plan spread titles over the two edges: edge-eu-2, which nobody asked, got some.
    assert held["edge-eu-2"], held
    # Paced at 1 MB/s: each batch waited about its bytes / rate (less the time it took).
    filled = sum(edge.filled_bytes for edge in region.edges.values())
    assert filled > 0 and sum(waits) <= filled / 1_000_000 + 0.01
    # The report on disk is what `vodstack cache plan` shows.
    on_disk = read_report(settings.data_dir / "run")
    assert on_disk is not None and on_disk["state"] == "done"
    # ... and what the admin CDN page puts next to the edges' own figures.

    async def page() -> CdnOverview:
        async with httpx.AsyncClient() as client:
            return with_plan(await overview(cluster.topology, client), on_disk)

    shown = asyncio.run(page())
    assert shown.plan_state == "done"
    assert shown.regions[0].predicted_offload == pytest.approx(region.predicted_offload)
    by_name = {edge.name: edge for edge in shown.edges}
    for name, progress in region.edges.items():
        assert by_name[name].planned_objects == progress.planned_objects
    metrics = render_metrics(on_disk)
    for name, progress in region.edges.items():
        label = f'{{region="eu",edge="{name}"}}'
        assert f"vodstack_fill_planned_objects{label} {progress.planned_objects}\n" in metrics
    assert 'vodstack_fill_predicted_offload{region="eu"}' in metrics


def test_a_window_with_nothing_learnt_reports_so(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, regions=["eu"], edges_per_region=1)

    async def window() -> PlanReport:
        async with httpx.AsyncClient() as client:
            return await LivePlanner(settings, client).run_window()

    assert asyncio.run(window()).state == "nothing-learnt"
    report = read_report(tmp_path / "run")
    assert report is not None and report["state"] == "nothing-learnt"
