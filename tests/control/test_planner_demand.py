"""The live planner learns over HTTP: the edges' requests from `GET /demand/log` and the plays
per title and region from the telemetry service, so it plans from a host that has neither the
edges' data directory nor the telemetry database (real edge processes, a real telemetry
service on a socket fed through the events log)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.events.stack import event
from tests.support.cdn import Cluster, make_settings, write_asset
from tests.support.ports import free_port
from tests.support.servers import serve_in_thread
from tests.support.waiting import eventually
from vodstack.config import Settings
from vodstack.contracts.events import EVENT
from vodstack.control.live_planner import LivePlanner, PlanReport
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.events.log.sqlite import SqliteEventLog
from vodstack.services.telemetry.app import create_app as create_telemetry_app

SEGMENT = 100_000
# Numeric titles: the popularity counts name titles by their catalogue id.
HOT, WARM, COLD = "101", "102", "103"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One region of two edges, each with room for 6 of the test's 100 kB segments."""
    root = tmp_path_factory.mktemp("demand")
    (root / "logs").mkdir()
    settings = make_settings(
        root / "data", regions=["eu"], edges_per_region=2, capacity_bytes=6 * SEGMENT + 5000
    )
    settings = settings.model_copy(update={"ports": {**settings.ports, "telemetry": free_port()}})
    running = Cluster(settings, root / "logs")
    running.objects.mkdir(parents=True)
    for title in (HOT, WARM, COLD):
        write_asset(running.objects, title, renditions=("360p",), segments=3, segment_bytes=SEGMENT)
    try:
        running.start("origin")
        for name in running.topology.names:
            running.start(name)
        # Demand, all through edge-eu-1: hot 4 times, warm twice, cold once per segment.
        for title, times in ((HOT, 4), (WARM, 2), (COLD, 1)):
            for _ in range(times):
                for n in range(3):
                    url = running.asset_url("edge-eu-1", title, f"360p/seg_{n:05d}.m4s")
                    assert httpx.get(url).status_code == 200
        running.settle("edge-eu-1")
        yield running
    finally:
        running.stop_all()


def _elsewhere(cluster: Cluster, tmp_path: Path, **fill: object) -> Settings:
    """The cluster's settings on another host: an empty data directory of its own."""
    plan = cluster.settings.cdn.fill_plan.model_copy(update={"rate_bytes_per_s": 10**9, **fill})
    cdn = cluster.settings.cdn.model_copy(update={"fill_plan": plan})
    return cluster.settings.model_copy(update={"data_dir": tmp_path / "planner", "cdn": cdn})


def _window(settings: Settings) -> PlanReport:
    async def run() -> PlanReport:
        async with httpx.AsyncClient() as client:
            return await LivePlanner(settings, client).run_window()

    return asyncio.run(run())


def _planned_titles(report: PlanReport) -> set[str]:
    return {t for edge in report.regions["eu"].edges.values() for t in edge.planned_titles}


def test_the_demand_log_needs_a_service_token(cluster: Cluster) -> None:
    url = f"{cluster.url('edge-eu-1')}/demand/log"
    assert httpx.get(url).status_code in (401, 403)
    token = ServiceCredentials.from_settings(cluster.settings, "planner").token("edge")
    answer = httpx.get(url, headers={SERVICE_TOKEN_HEADER: token})
    assert answer.status_code == 200
    assert answer.text.count(f"/v/{HOT}/v1/360p/") >= 12


def test_a_planner_on_another_host_learns_the_requests_over_http(
    cluster: Cluster, tmp_path: Path
) -> None:
    settings = _elsewhere(cluster, tmp_path, use_popularity=False)
    report = _window(settings)
    assert report.state == "done" and report.requests_learnt >= 21
    assert report.sources == {"edge-eu-1": "http", "edge-eu-2": "http"}
    assert report.popularity == "off"
    # Region eu plans 6 segments (half of two edges of 6): two of the three titles.
    assert _planned_titles(report) == {HOT, WARM}
    # Nothing was read from, or written to, the edges' data directory by this planner.
    assert (tmp_path / "planner" / "run" / "fill-plan.json").exists()


def test_an_edge_that_does_not_answer_is_reported_missing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", regions=["eu"], edges_per_region=1)
    plan = settings.cdn.fill_plan.model_copy(update={"use_popularity": False})
    settings = settings.model_copy(
        update={"cdn": settings.cdn.model_copy(update={"fill_plan": plan})}
    )
    report = _window(settings)
    assert report.sources == {"edge-eu-1": "missing"}
    assert report.state == "nothing-learnt"


def test_popularity_counts_from_the_telemetry_service_change_the_plan(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Two days ago COLD had 40 plays, before the edges' logs begin: with the counts it
    outranks WARM (whose only days are in the logs); without them it does not."""
    settings = _elsewhere(cluster, tmp_path, planned_share=0.5)
    event_log = SqliteEventLog(tmp_path / "events.sqlite", 4)
    now = datetime.now(UTC)
    plays = [(HOT, now, 4), (WARM, now, 2), (COLD, now, 1), (COLD, now - timedelta(days=2), 40)]
    for title, at, count in plays:
        for _ in range(count):
            item = event("play_start", title_id=int(title), region="eu", at=at.isoformat())
            parsed = EVENT.validate_python({**item, "profile_id": 5})
            event_log.append("5", parsed.model_dump_json().encode())
    telemetry = create_telemetry_app(settings, event_log=event_log)
    port = settings.port("telemetry")
    try:
        config = uvicorn.Config(telemetry, host="127.0.0.1", port=port, log_level="warning")
        with serve_in_thread(telemetry, config=config) as base:

            def counted() -> bool:
                rows = httpx.get(f"{base}/v1/popularity", headers=_auth(settings)).json()
                return bool(sum(row["plays"] for row in rows) == 47)

            eventually(counted, timeout_s=30, message="the popularity consumer did not catch up")
            report = _window(settings)
    finally:
        event_log.close()
    assert report.popularity == "http" and report.plays_learnt == 47
    assert _planned_titles(report) == {HOT, COLD}
    for progress in report.regions["eu"].edges.values():
        assert progress.failed == 0 and progress.filled_objects == progress.to_fill


def _auth(settings: Settings) -> dict[str, str]:
    credentials = ServiceCredentials.from_settings(settings, "test")
    return {SERVICE_TOKEN_HEADER: credentials.token("telemetry")}
