"""Playback-start API latency through the gateway at N concurrent starts (issue 4).

Starts the real platform (`vodstack up`, every service its own process), creates enough Premium
accounts for N concurrent streams (4 each), logs each in through the gateway, then runs rounds:
N `POST /api/playback/{title}/start` at once (timed), then stops them all (not timed).

    .venv/bin/python bench/startup.py [--concurrency 50] [--rounds 10]

Plays the newest available title; when none is available yet (no pipeline run), it publishes a
stand-in asset (manifests only: a start reads the master playlist, never a segment) and marks
the title available, so the figure measures the start path alone either way.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from vodstack.clients.accounts import AccountsClient
from vodstack.clients.catalog import CatalogClient
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.contracts.accounts import AdminAccountCreate, PlanCode
from vodstack.contracts.catalog import Availability, TitleCreate
from vodstack.contracts.common import Maturity
from vodstack.core.service_auth import ServiceCredentials
from vodstack.delivery.assets import asset_key_prefix
from vodstack.supervisor.launcher import RunningPlatform, running_platform

STREAMS_PER_ACCOUNT = 4  # Premium
PASSWORD = "bench-password-123"
STAND_IN_VERSION = "bench1"
STAND_IN_MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360
v360p/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720
v720p/index.m3u8
"""
# Logins come from one address; lift the brute-force limit for the set-up only.
PLATFORM_ENV = {"VODSTACK_LOGIN_RATE__BURST": "1000", "VODSTACK_LOGIN_RATE__PER_MINUTE": "60000"}


@dataclass(frozen=True)
class Started:
    elapsed_s: float
    session_id: str | None
    error: str | None


@dataclass
class Viewer:
    client: httpx.AsyncClient

    async def start(self, title_id: int) -> Started:
        began = time.perf_counter()
        response = await self.client.post(f"/api/playback/{title_id}/start")
        elapsed = time.perf_counter() - began
        if response.status_code != 201:
            return Started(elapsed, None, f"{response.status_code} {response.text[:120]}")
        return Started(elapsed, str(response.json()["play_session_id"]), None)

    async def stop(self, session_id: str) -> None:
        (await self.client.post(f"/api/playback/{session_id}/stop", json={})).raise_for_status()


async def _viewer(platform: RunningPlatform, email: str) -> Viewer:
    limits = httpx.Limits(max_connections=STREAMS_PER_ACCOUNT)
    client = httpx.AsyncClient(base_url=platform.url, timeout=30.0, limits=limits)
    await client.get("/healthz")  # the CSRF cookie
    client.headers["X-CSRF-Token"] = client.cookies["vodstack_csrf"]
    login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    login.raise_for_status()
    profile = (await client.get("/api/profiles")).json()[0]["id"]
    (await client.post(f"/api/profiles/{profile}/select", json={})).raise_for_status()
    return Viewer(client)


def _credentials(platform: RunningPlatform) -> ServiceCredentials:
    """The benchmark calls the services as an operator tool would: with a service token."""
    settings = with_secrets(load_settings(data_dir=platform.data_dir))
    return ServiceCredentials.from_settings(settings, "bench")


async def _accounts(platform: RunningPlatform, count: int) -> list[Viewer]:
    accounts = AccountsClient(
        platform.service_url("accounts"), credentials=_credentials(platform), timeout=30.0
    )
    try:
        emails = [f"bench{n}@vodstack.local" for n in range(count)]
        for email in emails:
            body = AdminAccountCreate(email=email, password=PASSWORD, plan=PlanCode.PREMIUM)
            await accounts.create_account(body)
    finally:
        await accounts.aclose()
    return [await _viewer(platform, email) for email in emails]


async def _playable_title(platform: RunningPlatform, viewer: Viewer) -> tuple[int, bool]:
    """(title id, whether a stand-in asset was published for it)."""
    listing = (await viewer.client.get("/api/titles", params={"limit": 100})).json()
    for item in listing["items"]:
        if item["availability"] == "available":
            return int(item["id"]), False
    catalog = CatalogClient(
        platform.service_url("catalog"), credentials=_credentials(platform), timeout=30.0
    )
    try:
        body = TitleCreate(name="Bench Stand-in", year=2024, maturity=Maturity.KIDS, genres=["X"])
        title = await catalog.create(body)
        folder = platform.data_dir / "objects" / asset_key_prefix(title.id, STAND_IN_VERSION)
        folder.mkdir(parents=True)
        (folder / "master.m3u8").write_text(STAND_IN_MASTER)
        await catalog.set_availability(title.id, Availability.AVAILABLE, STAND_IN_VERSION)
    finally:
        await catalog.aclose()
    return title.id, True


async def _round(viewers: list[Viewer], title_id: int, n: int) -> tuple[list[float], list[str]]:
    chosen = [viewers[i % len(viewers)] for i in range(n)]
    results = await asyncio.gather(*(v.start(title_id) for v in chosen))
    pairs = zip(chosen, results, strict=True)
    await asyncio.gather(*(v.stop(r.session_id) for v, r in pairs if r.session_id))
    return [r.elapsed_s for r in results], [r.error for r in results if r.error]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _bench(platform: RunningPlatform, concurrency: int, rounds: int) -> None:
    viewers = await _accounts(platform, -(-concurrency // STREAMS_PER_ACCOUNT))
    try:
        title_id, stand_in = await _playable_title(platform, viewers[0])
        await _round(viewers, title_id, concurrency)  # warm-up: pools, caches, SQLite pages
        latencies: list[float] = []
        failures: list[str] = []
        for _ in range(rounds):
            got, failed = await _round(viewers, title_id, concurrency)
            latencies += got
            failures += failed
    finally:
        await asyncio.gather(*(v.client.aclose() for v in viewers))
    ms = [x * 1000 for x in latencies]
    print(f"playback start through the gateway: {concurrency} concurrent x {rounds} rounds")
    print(f"title {title_id}{' (stand-in asset)' if stand_in else ''}, {len(viewers)} accounts")
    print(f"p50 {_percentile(ms, 0.50):.1f} ms  p99 {_percentile(ms, 0.99):.1f} ms  "
          f"mean {statistics.fmean(ms):.1f} ms  max {max(ms):.1f} ms  n={len(ms)}")  # fmt: skip
    print(f"failures: {len(failures)}" + (f" e.g. {failures[0]}" if failures else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_platform(Path(tmp) / "data", extra_env=PLATFORM_ENV) as platform,
    ):
        asyncio.run(_bench(platform, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
