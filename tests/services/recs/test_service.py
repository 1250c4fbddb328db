"""The recommendations service as its own process: it learns from the events log, trains on
demand, serves a profile's rows; the gateway's home page shows them, and falls back to trending
and genre rows once the process is killed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import anyio
import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.support.catalog import title_body
from tests.support.gateway import Stack, make_settings, stack_for
from tests.support.ports import free_port
from tests.support.servers import serve_in_thread
from tests.support.waiting import eventually
from vodstack.clients.recs import RecsClient
from vodstack.config.settings import DEFAULT_PORTS, Settings
from vodstack.contracts.common import Maturity
from vodstack.contracts.events import PlayStartEvent, StopEvent
from vodstack.contracts.recs import HomeRows, TrainStatus
from vodstack.core.errors import ServiceUnavailable
from vodstack.events.log import open_event_log
from vodstack.services.catalog.app import create_app as create_catalog_app
from vodstack.services.history.app import create_app as create_history_app
from vodstack.services.telemetry.app import create_app as create_telemetry_app

pytestmark = pytest.mark.slow

# (name, genres): the viewers of "Alpha" also watch Bravo and Charlie; others watch the rest.
TITLES = (
    ("Alpha", ["Drama"]),
    ("Bravo", ["Drama"]),
    ("Charlie", ["Comedy"]),
    ("Delta", ["Comedy"]),
    ("Echo", ["Horror"]),
    ("Foxtrot", ["Horror"]),
)


@contextmanager
def recs_process(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """`vodstack serve recs` as its own process (owned here: killed on exit)."""
    path = settings.data_dir / "settings.json"
    path.write_text(settings.dump_for_child())
    log = (settings.data_dir / "recs.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "vodstack", "serve", "recs", "--settings-file", str(path)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"{settings.service_url('recs')}/healthz"

        def healthy() -> bool:
            assert process.poll() is None, (settings.data_dir / "recs.log").read_text()
            try:
                return httpx.get(url, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        eventually(healthy, timeout_s=90, message="the recs service did not start")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        log.close()


def served(settings: Settings, name: str, app: FastAPI) -> uvicorn.Config:
    return uvicorn.Config(app, host="127.0.0.1", port=settings.port(name), log_level="warning")


def watch(settings: Settings, profile: int, title: int, at: datetime, share: float) -> None:
    """What a player reports: a start, then a stop at `share` of the title."""
    log = open_event_log(settings)
    try:
        common = {
            "profile_id": profile,
            "session_id": uuid4().hex,
            "title_id": title,
            "duration_s": 1000.0,
            "region": "eu",
        }
        start = PlayStartEvent(
            type="play_start", event_id=uuid4().hex, at=at, position_s=0, startup_ms=500, **common
        )
        stop = StopEvent(
            type="stop",
            event_id=uuid4().hex,
            at=at + timedelta(minutes=30),
            position_s=1000.0 * share,
            completed=share >= 1,
            **common,
        )
        for event in (start, stop):
            log.append(str(profile), event.model_dump_json().encode(), dedup_id=event.event_id)
    finally:
        log.close()


async def _call(settings: Settings, profile: int) -> tuple[TrainStatus, HomeRows]:
    client = RecsClient.of(settings, "tests", timeout=120.0)
    try:
        status = await client.train()
        return status, await client.rows(profile, Maturity.ADULT, "eu")
    finally:
        await client.aclose()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[Stack, dict[str, int]]]:
    ports = {name: free_port() for name in DEFAULT_PORTS}
    settings = make_settings(tmp_path, ports=ports)
    settings = settings.model_copy(
        update={
            "recs": settings.recs.model_copy(
                update={"catalog_refresh_s": 0.5, "popularity_refresh_s": 0.5}
            )
        }
    )
    with ExitStack() as stack:
        gateway = stack.enter_context(stack_for(settings))
        ids = {}
        for name, genres in TITLES:
            created = gateway.catalog.post("/v1/titles", json=title_body(name=name, genres=genres))
            assert created.status_code == 201, created.text
            title_id = created.json()["id"]
            published = gateway.catalog.put(
                f"/v1/titles/{title_id}/availability",
                json={"availability": "available", "asset_version": "v1"},
            )
            assert published.status_code == 200, published.text
            ids[name] = title_id
        for name, app in (
            ("catalog", create_catalog_app(settings)),
            ("history", create_history_app(settings)),
            ("telemetry", create_telemetry_app(settings)),
        ):
            stack.enter_context(serve_in_thread(None, config=served(settings, name, app)))
        yield gateway, ids


def row_keys(html: str) -> list[str]:
    return re.findall(r'<section class="row" data-row="([^"]+)"', html)


def test_rows_from_the_log_on_the_home_page_then_the_fallback_when_killed(
    platform: tuple[Stack, dict[str, int]],
) -> None:
    stack, ids = platform
    settings = stack.settings
    viewer = stack.viewer()
    me = viewer.first_profile_id()
    base = datetime.now(UTC) - timedelta(hours=3)
    # Twenty other profiles: half watch Alpha, Bravo and Charlie; half Delta, Echo, Foxtrot.
    for other in range(10_000, 10_020):
        trio = ("Alpha", "Bravo", "Charlie") if other % 2 else ("Delta", "Echo", "Foxtrot")
        for step, name in enumerate(trio):
            watch(settings, other, ids[name], base + timedelta(minutes=step), 1.0)
    watch(settings, me, ids["Delta"], base, 1.0)
    watch(settings, me, ids["Alpha"], base + timedelta(hours=1), 1.0)

    with recs_process(settings) as process:

        def trained() -> HomeRows | None:
            try:
                status, rows = anyio.run(_call, settings, me)
            except ServiceUnavailable as exc:
                # Its first catalog snapshot is read 0.5 s after start: until then, 503.
                assert exc.code == "recs_warming_up", exc
                return None
            return rows if status.interactions >= 62 and rows.personalized else None

        page = eventually(trained, timeout_s=90, message="the recs service never learned")
        assert page is not None
        first = page.rows[0]
        assert first.key == f"because-{ids['Alpha']}"
        assert {i.title.name for i in first.items} >= {"Bravo", "Charlie"}

        home = viewer.get("/")
        assert home.status_code == 200
        keys = row_keys(home.text)
        assert keys[0] == f"because-{ids['Alpha']}", keys
        assert "Because you watched Alpha" in home.text

        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

        def fallback() -> list[str] | None:
            page = viewer.get("/")
            assert page.status_code == 200, page.text
            keys = row_keys(page.text)
            return keys if "trending" in keys else None

        keys = eventually(fallback, timeout_s=60, message="no trending row in the fallback")
        assert keys is not None
        assert not [k for k in keys if k.startswith("because-")]
        assert {"drama", "comedy", "horror"} <= set(keys), keys
