"""Autoscaling benchmark (issue 15, 9e): a step from 5 to 50 synthetic viewers, side by side.

    .venv/bin/python bench/autoscale.py [--rounds 1] [--step 120] [--down-window 60]

Starts two real platforms (`vodstack up`, every service its own process), one with the
autoscaler on (`autoscale.enabled`, its default targets, min 1 / max 4 for accounts, catalog
and playback, scale-down window `--down-window`) and one without (the anchor: one instance
each, as `make up` runs). Each viewer is a signed-in client through the gateway doing what a
player does: the home page, a playback start, a heartbeat every `--think` seconds for
`--beats` beats, a stop, and again. Rounds alternate between the platforms; a round is
`--warm` s at 5 viewers, `--step` s at 50, then back to 5 until the autoscaler has removed
what it added (at most the scale-down window + `--settle` s).

Printed per platform: time from the step to the autoscaler's first scale-up and to the new
instance serving (goal: within 60 s), time from the step down to the first scale-down (after
the window) and back to one instance each, p50/p99 per phase and route, failed requests; and
the ratio of the p99s during the step. Figures and commands: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from vodstack.clients.accounts import AccountsClient
from vodstack.clients.catalog import CatalogClient
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.contracts.accounts import AdminAccountCreate, PlanCode
from vodstack.contracts.autoscale import read_decisions
from vodstack.contracts.catalog import Availability, TitleCreate
from vodstack.contracts.common import Maturity
from vodstack.core.service_auth import ServiceCredentials
from vodstack.delivery.assets import asset_key_prefix
from vodstack.supervisor.launcher import RunningPlatform, running_platform

PASSWORD = "bench-password-123"
LOW, HIGH = 5, 50
SCALED = ("accounts", "catalog", "playback")
STAND_IN_VERSION = "bench1"
# A start reads the master playlist only, never a segment: a stand-in asset is enough.
STAND_IN_MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360
v360p/index.m3u8
"""
# Fifty viewers sign in from one address: lift the brute-force limits for the set-up.
COMMON_ENV = {
    "VODSTACK_LOGIN_RATE__BURST": "1000",
    "VODSTACK_LOGIN_RATE__PER_MINUTE": "60000",
}


def autoscaled_env(down_window_s: float) -> dict[str, str]:
    return {
        **COMMON_ENV,
        "VODSTACK_AUTOSCALE__ENABLED": "true",
        "VODSTACK_AUTOSCALE__SCALE_DOWN_WINDOW_S": str(down_window_s),
    }


@dataclass
class Sample:
    at: float
    route: str
    elapsed_s: float
    ok: bool


@dataclass
class Viewer:
    index: int
    client: httpx.AsyncClient


@dataclass
class Crowd:
    """Viewers 0..active-1 play; the others wait. Every request is timed."""

    viewers: list[Viewer]
    title_id: int
    think_s: float
    beats: int
    active: int = LOW
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: bool = False

    async def _timed(
        self, route: str, method: str, client: httpx.AsyncClient, url: str
    ) -> httpx.Response | None:
        began = time.perf_counter()
        ok, answer = False, None
        try:
            response = await client.request(
                method, url, json={"position_s": 1.0} if route == "heartbeat" else None
            )
            ok = response.status_code < 400
            answer = response
            if not ok:
                self.errors.append(f"{route}: {response.status_code} {response.text[:100]}")
        except httpx.HTTPError as exc:
            self.errors.append(f"{route}: {type(exc).__name__} {exc}")
        self.samples.append(Sample(time.monotonic(), route, time.perf_counter() - began, ok))
        return answer

    async def _play(self, viewer: Viewer) -> None:
        client = viewer.client
        while not self._stop:
            if viewer.index >= self.active:
                await asyncio.sleep(0.2)
                continue
            await self._timed("home", "GET", client, "/")
            started = await self._timed(
                "start", "POST", client, f"/api/playback/{self.title_id}/start"
            )
            if started is not None and started.status_code == 201:
                session = started.json()["play_session_id"]
                for _ in range(self.beats):
                    await asyncio.sleep(self.think_s)
                    await self._timed(
                        "heartbeat", "POST", client, f"/api/playback/{session}/heartbeat"
                    )
                await self._timed("stop", "POST", client, f"/api/playback/{session}/stop")
            await asyncio.sleep(self.think_s)

    async def run(self, plan: Callable[[Crowd], Awaitable[None]]) -> None:
        players = [asyncio.create_task(self._play(v)) for v in self.viewers]
        try:
            await plan(self)
        finally:
            self._stop = True
            await asyncio.gather(*players)
            self._stop = False


def _credentials(platform: RunningPlatform) -> ServiceCredentials:
    settings = with_secrets(load_settings(data_dir=platform.data_dir))
    return ServiceCredentials.from_settings(settings, "bench")


async def _viewers(platform: RunningPlatform, count: int) -> list[Viewer]:
    accounts = AccountsClient(
        platform.service_url("accounts"), credentials=_credentials(platform), timeout=60.0
    )
    try:
        emails = [f"viewer{n}@autoscale.bench" for n in range(count)]
        for email in emails:
            body = AdminAccountCreate(email=email, password=PASSWORD, plan=PlanCode.PREMIUM)
            await accounts.create_account(body)
    finally:
        await accounts.aclose()
    viewers = []
    for n, email in enumerate(emails):
        client = httpx.AsyncClient(base_url=platform.url, timeout=30.0)
        await client.get("/healthz")  # the CSRF cookie
        client.headers["X-CSRF-Token"] = client.cookies["vodstack_csrf"]
        login = await client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        login.raise_for_status()
        profile = (await client.get("/api/profiles")).json()[0]["id"]
        (await client.post(f"/api/profiles/{profile}/select", json={})).raise_for_status()
        viewers.append(Viewer(n, client))
    return viewers


async def _stand_in_title(platform: RunningPlatform) -> int:
    catalog = CatalogClient(
        platform.service_url("catalog"), credentials=_credentials(platform), timeout=60.0
    )
    try:
        body = TitleCreate(
            name="Autoscale Stand-in", year=2024, maturity=Maturity.KIDS, genres=["Drama"]
        )
        title = await catalog.create(body)
        folder = platform.data_dir / "objects" / asset_key_prefix(title.id, STAND_IN_VERSION)
        folder.mkdir(parents=True)
        (folder / "master.m3u8").write_text(STAND_IN_MASTER)
        await catalog.set_availability(title.id, Availability.AVAILABLE, STAND_IN_VERSION)
    finally:
        await catalog.aclose()
    return title.id


def _serving(platform: RunningPlatform) -> dict[str, int]:
    """Healthy, registered instances of the autoscaled services."""
    counts: dict[str, int] = defaultdict(int)
    for s in platform.status().services:
        if s.service in SCALED and s.state == "healthy" and s.registered:
            counts[s.service] += 1
    return dict(counts)


@dataclass
class Round:
    platform: str
    step_at: float = 0.0
    down_at: float = 0.0
    first_up_s: float | None = None  # first scale-up decision after the step
    serving_s: float | None = None  # the added instance healthy and registered
    first_down_s: float | None = None  # first scale-down after the step down
    back_s: float | None = None  # one instance of each again
    most: dict[str, int] = field(default_factory=dict)
    phases: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    failed: int = 0
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)  # the autoscaler's changes, with why


async def _round(
    name: str, platform: RunningPlatform, crowd: Crowd, args: argparse.Namespace
) -> Round:
    result = Round(name)
    run = platform.data_dir / "run"
    autoscaled = name == "autoscaler"

    async def watch_until(deadline: float, done: Callable[[], bool]) -> None:
        while time.monotonic() < deadline and not done():
            counts = _serving(platform)
            for service, n in counts.items():
                result.most[service] = max(result.most.get(service, 0), n)
            await asyncio.sleep(0.5)

    async def plan(c: Crowd) -> None:
        c.active = LOW
        await asyncio.sleep(args.warm)
        result.step_at, wall_step = time.monotonic(), time.time()
        c.active = HIGH

        def scaled_up() -> bool:
            ups = [
                d
                for d in read_decisions(run, last=500, only_changes=True)
                if d.at >= wall_step and d.action == "scale_up"
            ]
            if ups and result.first_up_s is None:
                result.first_up_s = ups[0].at - wall_step
            if result.first_up_s is not None and any(n > 1 for n in _serving(platform).values()):
                result.serving_s = time.monotonic() - result.step_at
                return True
            return False

        step_end = result.step_at + args.step
        await watch_until(step_end, scaled_up if autoscaled else lambda: False)
        await watch_until(step_end, lambda: False)
        result.down_at, wall_down = time.monotonic(), time.time()
        c.active = LOW
        if not autoscaled:
            await asyncio.sleep(args.warm)
            return

        def scaled_down() -> bool:
            downs = [
                d
                for d in read_decisions(run, last=500, only_changes=True)
                if d.at >= wall_down and d.action == "scale_down"
            ]
            if downs and result.first_down_s is None:
                result.first_down_s = downs[0].at - wall_down
            if all(n == 1 for n in _serving(platform).values()) and len(_serving(platform)) == len(
                SCALED
            ):
                result.back_s = time.monotonic() - result.down_at
                return True
            return False

        await watch_until(result.down_at + args.down_window + args.settle, scaled_down)

    first, first_error, began = len(crowd.samples), len(crowd.errors), time.time()
    await crowd.run(plan)
    _sort(crowd.samples[first:], result)
    result.errors = dict(Counter(error[:90] for error in crowd.errors[first_error:]))
    result.actions = [
        f"+{d.at - began:.0f}s {d.service} {d.current}->{d.desired}: {d.reason}"
        for d in read_decisions(run, last=200, only_changes=True)
        if d.at >= began and d.acted
    ]
    return result


def _sort(samples: list[Sample], result: Round) -> None:
    """Latencies per phase (before, during, after the step) and route; failures."""
    for sample in samples:
        if sample.at < result.step_at:
            phase = "before"
        elif sample.at < result.down_at:
            phase = "step"
        else:
            phase = "after"
        routes = result.phases.setdefault(phase, defaultdict(list))
        routes[sample.route].append(sample.elapsed_s)
        routes["all"].append(sample.elapsed_s)
    result.failed = sum(not s.ok for s in samples)
    result.requests = len(samples)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000 if values else 0.0


def _fmt(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.1f} s"


def report(rounds: list[Round]) -> None:
    for r in rounds:
        print(f"\n== {r.platform}: {r.requests} requests, {r.failed} failed")
        for error, count in sorted(r.errors.items(), key=lambda item: -item[1]):
            print(f"  failed x{count}: {error}")
        for action in r.actions:
            print(f"  autoscaler {action}")
        if r.platform == "autoscaler":
            print(
                f"  first scale-up {_fmt(r.first_up_s)} after the step; added instance serving "
                f"{_fmt(r.serving_s)}; most instances {r.most}"
            )
            print(
                f"  first scale-down {_fmt(r.first_down_s)} after the step down; back to one "
                f"each {_fmt(r.back_s)}"
            )
        for phase in ("before", "step", "after"):
            routes = r.phases.get(phase, {})
            line = ", ".join(
                f"{route} p50 {_p(v, 0.5):.0f} / p99 {_p(v, 0.99):.0f} ms (n={len(v)})"
                for route, v in sorted(routes.items())
            )
            print(f"  {phase:>6}: {line}")
    on = [
        _p(r.phases.get("step", {}).get("all", []), 0.99) for r in rounds if r.platform != "fixed"
    ]
    off = [
        _p(r.phases.get("step", {}).get("all", []), 0.99) for r in rounds if r.platform == "fixed"
    ]
    if on and off:
        p_on, p_off = statistics.median(on), statistics.median(off)
        spread_on = f"{min(on):.0f}-{max(on):.0f}"
        spread_off = f"{min(off):.0f}-{max(off):.0f}"
        print(
            f"\np99 during the step, median of rounds: autoscaler {p_on:.0f} ms ({spread_on}), "
            f"fixed {p_off:.0f} ms ({spread_off}); ratio {p_on / p_off:.2f}"
        )
    print(f"load average: {os.getloadavg()}")
    print(
        json.dumps(
            [{k: v for k, v in vars(r).items() if k not in ("phases", "actions")} for r in rounds]
        )
    )


async def _prepare(platform: RunningPlatform, args: argparse.Namespace) -> Crowd:
    title_id = await _stand_in_title(platform)
    viewers = await _viewers(platform, HIGH)
    return Crowd(viewers, title_id, think_s=args.think, beats=args.beats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--warm", type=float, default=30.0, help="Seconds at 5 viewers first.")
    parser.add_argument("--step", type=float, default=120.0, help="Seconds at 50 viewers.")
    parser.add_argument("--down-window", type=float, default=60.0)
    parser.add_argument("--settle", type=float, default=60.0)
    parser.add_argument(
        "--think", type=float, default=1.0, help="Seconds between a viewer's calls."
    )
    parser.add_argument("--beats", type=int, default=5, help="Heartbeats per playback.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        platforms = {
            "autoscaler": stack.enter_context(
                running_platform(
                    Path(tmp) / "on", extra_env=autoscaled_env(args.down_window), timeout=600
                )
            ),
            "fixed": stack.enter_context(
                running_platform(Path(tmp) / "off", extra_env=COMMON_ENV, timeout=600)
            ),
        }

        async def bench() -> list[Round]:
            crowds = {name: await _prepare(p, args) for name, p in platforms.items()}
            rounds = []
            try:
                for n in range(args.rounds):
                    order = ["autoscaler", "fixed"] if n % 2 == 0 else ["fixed", "autoscaler"]
                    for name in order:
                        print(f"round {n + 1}: {name}", flush=True)
                        rounds.append(await _round(name, platforms[name], crowds[name], args))
            finally:
                for crowd in crowds.values():
                    for viewer in crowd.viewers:
                        await viewer.client.aclose()
            return rounds

        report(asyncio.run(bench()))


if __name__ == "__main__":
    main()
