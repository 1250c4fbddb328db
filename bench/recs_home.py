"""Home page latency: personalized rows (the recs service) vs the static page (issue 18; goal
personalized <= 1.2x static).

Starts the real platform (`vodstack up`), seeds `--titles` published titles and a synthetic
viewing history (`--profiles` profiles, the demo viewer among them) into the platform's events
log, trains the recs service, then starts a second gateway process on the same platform with
`recs.personalized_home = false` (the page as it was: newest and genre rows). Both gateways are
asked for `/` as the same signed-in viewer, `--requests` sequential requests per round,
alternating which goes first, for `--rounds` rounds:

    .venv/bin/python bench/recs_home.py [--rounds 7] [--requests 40] [--titles 200]

Prints each page's median latency (median of round medians, spread min-max) and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import anyio
import httpx

from services import Caller, seed_catalog  # bench/services.py: the same catalog
from vodstack.clients.recs import RecsClient
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import Settings
from vodstack.contracts.events import PlayStartEvent, StopEvent
from vodstack.core.service_auth import ServiceCredentials
from vodstack.events.log import open_event_log
from vodstack.supervisor.launcher import gateway_client, running_platform


def seed_history(settings_json: Path, viewer: int, titles: list[int], profiles: int) -> int:
    """Each profile watches 5-15 titles from a taste cluster; returns how many events."""
    settings = Settings.from_child_json(settings_json.read_text())
    log = open_event_log(settings)
    rng = random.Random(5)  # noqa: S311 (made-up data)
    now = datetime.now(UTC) - timedelta(hours=2)
    count = 0
    try:
        for profile in [viewer, *range(100_000, 100_000 + profiles)]:
            cluster = rng.randrange(4)
            pool = [t for i, t in enumerate(titles) if i % 4 == cluster]
            for step, title in enumerate(rng.sample(pool, min(len(pool), rng.randint(5, 15)))):
                common = {
                    "profile_id": profile,
                    "session_id": uuid4().hex,
                    "title_id": title,
                    "duration_s": 5400.0,
                    "region": "eu",
                }
                at = now + timedelta(minutes=step)
                events = [
                    PlayStartEvent(
                        type="play_start",
                        event_id=uuid4().hex,
                        at=at,
                        position_s=0,
                        startup_ms=400,
                        **common,
                    ),
                    StopEvent(
                        type="stop",
                        event_id=uuid4().hex,
                        at=at,
                        completed=True,
                        position_s=5400.0,
                        **common,
                    ),
                ]
                for event in events:
                    log.append(
                        str(profile), event.model_dump_json().encode(), dedup_id=event.event_id
                    )
                    count += 1
    finally:
        log.close()
    return count


async def train(url: str, settings: Settings, expected: int) -> str:
    credentials = ServiceCredentials.from_settings(settings, "bench")
    client = RecsClient(url, credentials=credentials, timeout=600.0)
    try:
        for _ in range(120):
            status = await client.train()
            if status.interactions >= expected:
                return status.message
            await anyio.sleep(1.0)
        raise SystemExit(f"the recs service learned {status.interactions} of {expected}")
    finally:
        await client.aclose()


def static_gateway(settings_json: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    data = json.loads(settings_json.read_text())
    data["recs"]["personalized_home"] = False
    static = settings_json.with_name("settings-static.json")
    static.write_text(json.dumps(data))
    static.chmod(0o600)
    command = [
        sys.executable,
        "-m",
        "vodstack",
        "serve",
        "gateway",
        "--settings-file",
        str(static),
        "--instance",
        "gateway-static",
        "--port",
        str(port),
    ]
    return subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def timed(client: httpx.Client, url: str, cookie: str, requests: int) -> float:
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url, headers={"Cookie": cookie})
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text[:300]
    return statistics.median(latencies) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--titles", type=int, default=200)
    parser.add_argument("--profiles", type=int, default=2000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_platform(Path(tmp) / "data", timeout=600) as platform,
    ):
        settings = with_secrets(load_settings(data_dir=platform.data_dir))
        seed_catalog(Caller(platform, settings), settings, args.titles)
        settings_json = platform.data_dir / "run" / "settings.json"
        logins = platform.logins()
        with gateway_client(platform) as client:
            client.post(
                "/api/auth/login",
                json={"email": logins["viewer_email"], "password": logins["viewer_password"]},
            ).raise_for_status()
            adult = next(p for p in client.get("/api/profiles").json() if p["maturity"] == "adult")
            client.post(f"/api/profiles/{adult['id']}/select", json={}).raise_for_status()
            cookie = f"vodstack_session={client.cookies['vodstack_session']}"
            titles = [t["id"] for t in client.get("/api/titles?limit=100").json()["items"]]
        events = seed_history(settings_json, int(adult["id"]), titles, args.profiles)
        message = anyio.run(
            train,
            platform.service_url("recs"),
            Settings.from_child_json(settings_json.read_text()),
            events // 2,
        )
        print(f"seeded {events:,} events of {args.profiles + 1:,} profiles; {message}")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        static = static_gateway(settings_json, port, platform.data_dir / "static-gateway.log")
        urls = {"personalized": platform.url + "/", "static": f"http://127.0.0.1:{port}/"}
        try:
            with httpx.Client(timeout=30.0) as http:
                deadline = time.monotonic() + 600  # a loaded machine starts a gateway slowly
                while True:
                    if static.poll() is not None:
                        raise SystemExit("the static gateway exited; see static-gateway.log")
                    try:
                        if http.get(urls["static"] + "healthz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.5)
                page = http.get(urls["personalized"], headers={"Cookie": cookie}).text
                assert "Because you watched" in page, "the personalized page has no recs rows"
                assert (
                    "Because you watched"
                    not in http.get(urls["static"], headers={"Cookie": cookie}).text
                )
                for name in urls:  # warm both
                    timed(http, urls[name], cookie, 10)
                medians: dict[str, list[float]] = {name: [] for name in urls}
                for round_ in range(args.rounds):
                    order = list(urls) if round_ % 2 == 0 else list(reversed(urls))
                    for name in order:
                        medians[name].append(timed(http, urls[name], cookie, args.requests))
        finally:
            static.kill()
            static.wait(timeout=30)
    print(
        f"home page, {args.rounds} interleaved rounds x {args.requests} sequential requests; "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    for name, values in medians.items():
        print(
            f"{name:<13} median {statistics.median(values):7.2f} ms  "
            f"(round medians {min(values):.2f}-{max(values):.2f})"
        )
    ratio = statistics.median(medians["personalized"]) / statistics.median(medians["static"])
    print(f"ratio personalized/static: {ratio:.2f}  (goal <= 1.2)")


if __name__ == "__main__":
    main()
