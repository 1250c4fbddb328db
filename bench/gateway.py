"""Catalog listing through the gateway vs the catalog service called directly.

Starts the real platform (`vodstack up`, every service its own process), seeds `--titles`
published titles (without demo media no title is published, and viewers see only published
ones: the listing would be empty), logs in as the demo viewer, then drives both URLs with `wrk`
at the same connection count in one run:

    .venv/bin/python bench/gateway.py [--connections 32] [--duration 10] [--titles 200]

Prints requests/s of each and the ratio (goal: gateway >= 0.6x direct), median/p99 latency under
that load, and the added median latency of one request at a time (goal: < 2 ms).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from services import Caller, seed_catalog  # bench/services.py: the same catalog
from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.supervisor.launcher import RunningPlatform, gateway_client, running_platform

LISTING = "/api/titles?limit=20"
DIRECT = "/v1/titles?maturity=adult&limit=20"


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float


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
    return WrkResult(rps, _ms(*p50.groups()), _ms(*p99.groups()))


def _service_token(platform: RunningPlatform) -> dict[str, str]:
    """A fresh service token (a minute's life: each wrk run must be shorter) for the direct path,
    which calls the catalog the way the gateway does."""
    settings = with_secrets(load_settings(data_dir=platform.data_dir))
    token = ServiceCredentials.from_settings(settings, "bench").token("catalog")
    return {SERVICE_TOKEN_HEADER: token}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=32)
    # At most 60 s: the direct path carries a service token, which lives a minute.
    parser.add_argument("--duration", type=int, default=10, choices=range(1, 61), metavar="S")
    parser.add_argument("--titles", type=int, default=200, help="published titles to seed")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make test installs it)")

    with tempfile.TemporaryDirectory() as tmp, running_platform(Path(tmp) / "data") as platform:
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
            cookie = f"vodstack_session={client.cookies['vodstack_session']}"
        gateway_url = platform.url + LISTING
        direct_url = platform.service_url("catalog") + DIRECT
        auth = {"Cookie": cookie}

        # Warm both paths (connection pools, SQLite page cache) before measuring.
        run_wrk(gateway_url, args.connections, 2, auth)
        run_wrk(direct_url, args.connections, 2, _service_token(platform))
        direct = run_wrk(direct_url, args.connections, args.duration, _service_token(platform))
        gateway = run_wrk(gateway_url, args.connections, args.duration, auth)
        direct_1 = run_wrk(direct_url, 1, args.duration, _service_token(platform))
        gateway_1 = run_wrk(gateway_url, 1, args.duration, auth)

    print(f"catalog listing, {args.connections} connections, {args.duration}s each (wrk -t1)")
    print(f"{'path':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, result in (("direct", direct), ("gateway", gateway)):
        print(f"{name:<10}{result.rps:>10.0f}{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}")
    print(f"throughput ratio gateway/direct: {gateway.rps / direct.rps:.2f}  (goal >= 0.60)")
    added = gateway_1.p50_ms - direct_1.p50_ms
    print(
        f"one connection: direct p50 {direct_1.p50_ms:.2f} ms, gateway p50 "
        f"{gateway_1.p50_ms:.2f} ms, added {added:.2f} ms  (goal < 2 ms)"
    )


if __name__ == "__main__":
    main()
