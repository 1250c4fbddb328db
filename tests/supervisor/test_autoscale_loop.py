"""The autoscaler's round against a real service on a real socket: it scrapes /metrics, reads
the load, writes the count to control.json as `vodstack scale` does, and logs its inputs."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from tests.support.servers import serve_in_thread
from vodstack.config import Settings, load_settings
from vodstack.config.settings import AutoscalePolicy, AutoscaleTargets
from vodstack.contracts.autoscale import Decision, read_decisions
from vodstack.core.app import create_service_app
from vodstack.supervisor.autoscale.loop import Autoscaler
from vodstack.supervisor.autoscale.signals import parse, rates
from vodstack.supervisor.control import Control, control_path, read_control, write_control
from vodstack.supervisor.status import PlatformStatus, ServiceStatus, run_dir, write_status

WORK_S = 0.05
CLIENTS = 6


def busy_service() -> object:
    router = APIRouter()

    @router.get("/v1/work")
    async def work() -> dict[str, bool]:
        await asyncio.sleep(WORK_S)
        return {"ok": True}

    return create_service_app("catalog", routers=[router])


@pytest.fixture
def catalog() -> Iterator[str]:
    with serve_in_thread(busy_service()) as url:
        yield url


def settings_for(tmp_path: Path) -> Settings:
    policy = AutoscalePolicy(
        min=1, max=2, targets=AutoscaleTargets(concurrency=0.25, cpu=None, latency_s=None)
    )
    return load_settings(
        data_dir=tmp_path,
        autoscale={
            "enabled": True,
            "scale_up_window_s": 0,
            "scale_down_window_s": 0,
            "services": {"catalog": policy},
        },
    )


def platform_status(settings: Settings, url: str) -> None:
    """The supervisor's status file, naming one healthy catalog at `url` (this process)."""
    instance = ServiceStatus(
        name="catalog",
        service="catalog",
        registered=True,
        state="healthy",
        pid=os.getpid(),
        port=int(url.rsplit(":", 1)[1]),
        url=url,
        restarts=0,
        uptime_s=1.0,
        last_exit=None,
        log="-",
    )
    status = PlatformStatus(
        supervisor_pid=os.getpid(), gateway_url="-", updated_at=time.time(), services=[instance]
    )
    write_status(settings, status)


def load(url: str, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            client.get("/v1/work").raise_for_status()


async def rounds_until(autoscaler: Autoscaler, done: Callable[[Decision], bool]) -> Decision:
    deadline = time.monotonic() + 60
    while True:
        await asyncio.sleep(0.5)
        decision = (await autoscaler.round())[0]
        if done(decision):
            return decision
        assert time.monotonic() < deadline, f"never happened; last: {decision.reason}"


def test_load_scales_up_to_max_and_a_lull_back_to_min(catalog: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    platform_status(settings, catalog)
    write_control(control_path(settings), Control(instances={"catalog": 1}))

    async def scenario() -> None:
        async with httpx.AsyncClient() as client:
            autoscaler = Autoscaler(settings, client)
            first = (await autoscaler.round())[0]
            assert first.action == "hold" and first.reason == "no readings yet"
            stop = threading.Event()
            clients = [threading.Thread(target=load, args=(catalog, stop)) for _ in range(CLIENTS)]
            for thread in clients:
                thread.start()
            # A round every half second until the load shows (threads start slowly when the
            # machine is busy); generous deadlines, no thresholds on time.
            busy = await rounds_until(autoscaler, lambda d: d.action != "hold")
            stop.set()
            for thread in clients:
                await asyncio.to_thread(thread.join)
            quiet = await rounds_until(autoscaler, lambda d: d.action == "scale_down")

        # Six clients always waiting on 50 ms requests (sharing this process's GIL with the
        # server, so fewer than six in flight), against a target of a quarter each.
        readings = busy.instances["catalog"]
        assert readings is not None and readings["concurrency"] is not None
        assert readings["concurrency"] > 0.25
        assert busy.action == "scale_up" and busy.acted
        assert busy.desired == 2  # bounded by max
        assert quiet.current == 2  # the count asked for, whether its instances run or not
        assert quiet.desired == 1

    asyncio.run(scenario())
    assert read_control(control_path(settings)) == Control(instances={"catalog": 1})
    logged = [d for d in read_decisions(run_dir(settings), last=1000) if d.action != "hold"]
    assert [d.action for d in logged] == ["scale_up", "scale_down"]
    assert logged[0].metrics[0].metric == "concurrency" and logged[0].metrics[0].target == 0.25


def test_a_scrape_leaves_out_probes_and_itself(catalog: str) -> None:
    with httpx.Client(base_url=catalog) as client:
        before = parse(client.get("/metrics").text, 0.0)
        for _ in range(20):
            client.get("/healthz")
        client.get("/v1/work")
        after = parse(client.get("/metrics").text, 2.0)
    assert after.requests - before.requests == 1  # /v1/work only
    assert after.in_flight == 0  # the scrape answering is not load
    assert after.cpu_s is not None and after.cpu_s >= (before.cpu_s or 0)
    measured = rates(before, after)
    assert measured is not None
    assert measured.requests_per_s == 0.5
    assert measured.latency_s is not None and measured.latency_s >= WORK_S
    assert rates(after, before) is None  # counters going back: a restarted process
