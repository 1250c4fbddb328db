"""Catalog listing through the gateway vs the catalog service called directly.

Starts the real platform (`vodstack up`, every service its own process), seeds `--titles`
published titles (without demo media no title is published, and viewers see only published
ones: the listing would be empty), logs in as the demo viewer, then drives both URLs with `wrk`
at the same connection count, in interleaved rounds (the order flipped every round):

    .venv/bin/python bench/gateway.py [--rounds 3] [--connections 32] [--duration 10]

The gateway keeps no answer cache of the listing (only sessions, for `session_cache_ttl_s`):
every listing through it is a call to the catalog. The bench checks it: the catalog's own
request counter (`/metrics`) must grow by at least the requests wrk completed at the gateway.

Prints requests/s of each and the ratio (goal: gateway >= 0.6x direct), median/p99 latency under
that load, the added median latency of one request at a time (goal: < 2 ms), and the goal
table of issue 23: the listing >= 2,000 req/s direct and through the gateway.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from services import Caller, cpu_seconds, seed_catalog  # bench/services.py: the same catalog
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.gateway.csrf import CSRF_COOKIE
from vodstack.supervisor.launcher import RunningPlatform, gateway_client, running_platform

LISTING = "/api/titles?limit=20"
DIRECT = "/v1/titles?maturity=adult&limit=20"


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int


def _ms(value: str, unit: str) -> float:
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    return float(value) * scale


def run_wrk(url: str, connections: int, duration: int, headers: dict[str, str]) -> WrkResult:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", output)
    assert p50 and p99, output
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{errors.group(1)} error responses from {url}:\n{output}")
    done = re.search(r"(\d+) requests in", output)
    assert done, output
    return WrkResult(rps, _ms(*p50.groups()), _ms(*p99.groups()), int(done.group(1)))


def _service_token(platform: RunningPlatform) -> dict[str, str]:
    """A fresh service token (a minute's life: each wrk run must be shorter) for the direct path,
    which calls the catalog the way the gateway does."""
    settings = with_secrets(load_settings(data_dir=platform.data_dir))
    token = ServiceCredentials.from_settings(settings, "bench").token("catalog")
    return {SERVICE_TOKEN_HEADER: token}


_LISTED = re.compile(
    rb'vodstack_http_requests_total\{method="GET",route="/v1/titles",status="200"\} ([0-9.e+]+)'
)


def catalog_listings(platform: RunningPlatform) -> float:
    """How many listings the catalog has answered (its Prometheus counter)."""
    body = httpx.get(platform.service_url("catalog") + "/metrics", timeout=30).content
    found = _LISTED.search(body)
    return float(found.group(1)) if found else 0.0


def _spread(values: list[float], digits: int = 0) -> str:
    med = statistics.median(values)
    return f"{med:,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    # At most 60 s: the direct path carries a service token, which lives a minute.
    parser.add_argument("--duration", type=int, default=10, choices=range(1, 61), metavar="S")
    parser.add_argument("--titles", type=int, default=200, help="published titles to seed")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make test installs it)")

    results: dict[str, list[WrkResult]] = {"direct": [], "gateway": [], "direct@1": [],
                                           "gateway@1": []}  # fmt: skip
    # A loaded machine starts slowly: let processes take their time rather than be replaced.
    patience = {"VODSTACK_SUPERVISOR__START_TIMEOUT_S": "600",
                "VODSTACK_SUPERVISOR__LIVENESS_TIMEOUT_S": "10"}  # fmt: skip
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_platform(Path(tmp) / "data", extra_env=patience, timeout=600) as platform,
    ):
        settings = with_secrets(load_settings(data_dir=platform.data_dir))
        seed_catalog(Caller(platform, settings), settings, args.titles)
        logins = platform.logins()
        with gateway_client(platform) as client:
            login = client.post(
                "/api/auth/login",
                json={"email": logins["viewer_email"], "password": logins["viewer_password"]},
            )
            login.raise_for_status()
            profiles = client.get("/api/profiles").json()
            adult = next(p for p in profiles if p["maturity"] == "adult")
            client.post(f"/api/profiles/{adult['id']}/select", json={}).raise_for_status()
            listed = client.get(LISTING)
            assert listed.status_code == 200 and len(listed.json()["items"]) == 20, listed.text
            # Both cookies, as a browser sends them: without the CSRF cookie the gateway would
            # mint one (and a Set-Cookie) for every request.
            cookie = "; ".join(f"{name}={client.cookies[name]}" for name in
                               ("vodstack_session", CSRF_COOKIE))  # fmt: skip
        pids = {s.name: s.pid for s in platform.status().services if s.pid is not None}
        print(f"pids (for py-spy): {pids}", file=sys.stderr)
        gateway_url = platform.url + LISTING
        direct_url = platform.service_url("catalog") + DIRECT
        auth = {"Cookie": cookie}
        load_start = _load()
        busy = {name: pids[name] for name in ("gateway", "catalog")}
        #: CPU per listing of each process, per path (the steadier figure on a shared machine).
        cpu_us: dict[tuple[str, str], list[float]] = {
            (side, name): [] for side in ("direct", "gateway") for name in busy
        }

        # Warm both paths (connection pools, SQLite page cache) before measuring.
        run_wrk(gateway_url, args.connections, 2, auth)
        run_wrk(direct_url, args.connections, 2, _service_token(platform))
        for round_no in range(args.rounds):
            sides = [("direct", direct_url), ("gateway", gateway_url)]
            for side, url in sides[:: 1 if round_no % 2 == 0 else -1]:
                for conns, key in ((args.connections, side), (1, f"{side}@1")):
                    headers = auth if side == "gateway" else _service_token(platform)
                    before = catalog_listings(platform)
                    cpu_before = {name: cpu_seconds(pid) for name, pid in busy.items()}
                    result = run_wrk(url, conns, args.duration, headers)
                    reached = catalog_listings(platform) - before
                    if conns == args.connections:
                        for name, pid in busy.items():
                            used = cpu_seconds(pid) - cpu_before[name]
                            cpu_us[(side, name)].append(used / max(result.requests, 1) * 1e6)
                    if side == "gateway" and reached < result.requests:
                        raise RuntimeError(
                            f"the catalog answered {reached:.0f} listings for {result.requests} "
                            "through the gateway: something cached them"
                        )
                    results[key].append(result)
        load_end = _load()

    direct, gateway = results["direct"], results["gateway"]
    print(f"catalog listing, {args.connections} connections, {args.rounds} interleaved rounds x "
          f"{args.duration}s (wrk -t1); median (min-max) of the rounds")  # fmt: skip
    print("| path | req/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for name in ("direct", "gateway"):
        rs = results[name]
        p50, p99 = _spread([r.p50_ms for r in rs], 2), _spread([r.p99_ms for r in rs], 2)
        print(f"| {name} | {_spread([r.rps for r in rs])} | {p50} | {p99} |")
    ratios = [g.rps / d.rps for g, d in zip(gateway, direct, strict=True)]
    added = [g.p50_ms - d.p50_ms for g, d in
             zip(results["gateway@1"], results["direct@1"], strict=True)]  # fmt: skip
    print(f"one connection: direct p50 {_spread([r.p50_ms for r in results['direct@1']], 2)} ms, "
          f"gateway p50 {_spread([r.p50_ms for r in results['gateway@1']], 2)} ms")  # fmt: skip
    for side in ("direct", "gateway"):
        parts = [f"{name} {_spread(cpu_us[(side, name)])}" for name in ("gateway", "catalog")]
        print(f"CPU us per listing at {args.connections} connections, {side}: " + ", ".join(parts))
    gateway_cpu = statistics.median(cpu_us[("gateway", "gateway")])
    print(f"the gateway's CPU per listing gives at most {1e6 / gateway_cpu:,.0f} req/s on one "
          "core it has to itself")  # fmt: skip
    print("every listing through the gateway reached the catalog (its /metrics counter): "
          "the gateway keeps no answer cache of it")  # fmt: skip
    table = [
        ("catalog listing direct", ">= 2,000 req/s", [r.rps for r in direct], 2000.0, 0),
        ("catalog listing through the gateway (no cache)", ">= 2,000 req/s",
         [r.rps for r in gateway], 2000.0, 0),
        ("throughput gateway/direct", ">= 0.60", ratios, 0.6, 2),
    ]  # fmt: skip
    print(f"\nGoals, median (min-max) of {args.rounds} rounds; load average (1/5/15 min) at the "
          f"start {load_start}, at the end {load_end}")  # fmt: skip
    print("| goal | target | measured | met |")
    print("|---|---|---|---|")
    met = 0
    for name, target, values, floor, digits in table:
        ok = statistics.median(values) >= floor
        met += ok
        print(f"| {name} | {target} | {_spread(values, digits)} | "
              f"{'met' if ok else '**not met**'} |")  # fmt: skip
    ok = statistics.median(added) < 2.0
    met += ok
    print(f"| added p50 at one connection | < 2 ms | {_spread(added, 2)} ms | "
          f"{'met' if ok else '**not met**'} |")  # fmt: skip
    print(f"{met} of {len(table) + 1} goals met")


if __name__ == "__main__":
    main()
