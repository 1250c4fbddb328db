"""Events accepted through the gateway (batches of 50) vs raw XADD to the same Redis, one run.

Starts the real platform (`vodstack up`) with the events log on Redis Streams (a throw-away key
prefix), logs in as the demo viewer, then:

- drives `POST /api/events` with `wrk` (a Lua script makes every event id unique, so nothing is
  a cheap duplicate) at `--connections` connections: events/s and p50/p99 per batch;
- as the anchor, one Python client XADDs the same JSON events to the same Redis, 50 per
  pipelined round trip, for as long: events/s and p99 per round trip.

    .venv/bin/python bench/events.py [--connections 16] [--duration 10] [--rate 5000]

Goal (issue 17): >= 5,000 events/s through the gateway with p99 < 50 ms; the ratio to the
anchor is printed. The history and telemetry consumers run meanwhile, as in production.

`wrk` is closed-loop: it keeps every connection busy, so its p99 is the queueing of a
saturated two-core machine, not the latency at 5,000 events/s. `--rate` adds an open-loop run
at that offered load (a batch every 50/rate s, on schedule whatever the answers do, each
latency counted from its scheduled send, so a stall is not hidden by coordinated omission):
that run answers "p99 under 50 ms at 5,000 events/s" as worded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from vodstack.supervisor.launcher import gateway_client, running_platform

BATCH = 50
REDIS_URL = "redis://127.0.0.1:6379/0"

# wrk's Lua: every request a fresh batch of BATCH heartbeats with unique ids.
_SCRIPT = """
local n = 0
local prefix = "%(prefix)s"
request = function()
  n = n + 1
  local items = {}
  for i = 1, %(batch)d do
    items[i] = string.format('{"type":"heartbeat","event_id":"%%s-%%d-%%d",'
      .. '"session_id":"bench-session","title_id":1,"at":"2026-01-01T00:00:00Z",'
      .. '"position_s":%%d,"duration_s":600}', prefix, n, i, i)
  end
  return wrk.format("POST", nil, nil, '{"events":[' .. table.concat(items, ",") .. ']}')
end
"""


def _wrk_script(directory: Path) -> Path:
    path = directory / "events.lua"
    path.write_text(_SCRIPT % {"prefix": "b" + secrets.token_hex(4), "batch": BATCH})
    return path


def _anchor(prefix: str, duration_s: float) -> tuple[float, float]:
    """Raw XADD, 50 per pipelined round trip from one client: (events/s, p99 ms)."""
    client = redis.Redis.from_url(REDIS_URL)
    payload = json.dumps({"type": "heartbeat", "event_id": "x" * 32, "position_s": 1.0})
    latencies, sent, deadline = [], 0, time.monotonic() + duration_s
    started = time.monotonic()
    while time.monotonic() < deadline:
        before = time.perf_counter()
        pipe = client.pipeline(transaction=False)
        for _ in range(BATCH):
            pipe.xadd(f"{prefix}:anchor", {"k": "1", "v": payload})
        pipe.execute()
        latencies.append((time.perf_counter() - before) * 1000)
        sent += BATCH
    elapsed = time.monotonic() - started
    client.close()
    return sent / elapsed, statistics.quantiles(latencies, n=100)[98]


def _cleanup(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5000.0, help="open-loop events/s; 0: skip")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make test installs it)")
    prefix = f"vodstack-bench:{secrets.token_hex(4)}"
    env = {
        "VODSTACK_EVENTS__BACKEND": "redis",
        "VODSTACK_EVENTS__REDIS_URL": REDIS_URL,
        "VODSTACK_EVENTS__REDIS_PREFIX": prefix,
        "VODSTACK_EVENTS__MAX_LAG": "1000000000",  # measure ingest, not back-pressure
    }
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_platform(Path(tmp) / "data", extra_env=env) as platform,
        ):
            logins = platform.logins()
            with gateway_client(platform) as client:
                body = {"email": logins["viewer_email"], "password": logins["viewer_password"]}
                client.post("/api/auth/login", json=body).raise_for_status()
                profile = client.get("/api/profiles").json()[0]["id"]
                client.post(f"/api/profiles/{profile}/select", json={}).raise_for_status()
                cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
                headers = {
                    "Cookie": cookies,
                    "X-CSRF-Token": client.cookies["vodstack_csrf"],
                    "Content-Type": "application/json",
                }
            script = _wrk_script(Path(tmp))
            url = platform.url + "/api/events"
            gateway = _wrk(url, args.connections, 2, headers, script)  # warm-up
            gateway = _wrk(url, args.connections, args.duration, headers, script)
            paced = (
                asyncio.run(_open_loop(url, headers, args.rate, args.duration))
                if args.rate > 0
                else None
            )
            anchor_eps, anchor_p99 = _anchor(prefix, args.duration)
    finally:
        _cleanup(prefix)
    gateway_eps = gateway.rps * BATCH
    print(f"events, batches of {BATCH}, {args.connections} connections, {args.duration}s each")
    print(
        f"  gateway POST /api/events : {gateway_eps:8.0f} events/s  "
        f"p50 {gateway.p50_ms:.1f} ms  p99 {gateway.p99_ms:.1f} ms per batch"
    )
    if paced is not None:
        print(
            f"  open loop at {args.rate:.0f}/s     : {paced.rps * BATCH:8.0f} events/s  "
            f"p50 {paced.p50_ms:.1f} ms  p99 {paced.p99_ms:.1f} ms per batch (from schedule)"
        )
    print(f"  raw XADD (1 client)      : {anchor_eps:8.0f} events/s  p99 {anchor_p99:.1f} ms")
    print(f"  gateway / anchor         : {gateway_eps / anchor_eps:.2f}x")


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(
    url: str, connections: int, duration: int, headers: dict[str, str], script: Path
) -> WrkResult:
    """`wrk -t1` with the batch script (as bench/gateway.py runs it, plus `-s`)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script)]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=duration + 30
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", output)
    assert rps and p50 and p99, output
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{errors.group(1)} error responses from {url}:\n{output}")
    return WrkResult(float(rps.group(1)), _ms(*p50.groups()), _ms(*p99.groups()))


def _batch(prefix: str, n: int) -> bytes:
    events = [
        {
            "type": "heartbeat",
            "event_id": f"{prefix}-{n}-{i}",
            "session_id": "bench-session",
            "title_id": 1,
            "at": "2026-01-01T00:00:00Z",
            "position_s": i,
            "duration_s": 600,
        }
        for i in range(BATCH)
    ]
    return json.dumps({"events": events}).encode()


async def _open_loop(
    url: str, headers: dict[str, str], events_per_s: float, duration: int
) -> WrkResult:
    """Batches sent on a fixed schedule, latency measured from each batch's scheduled time."""
    interval = BATCH / events_per_s
    count = int(duration / interval)
    prefix = "p" + secrets.token_hex(4)
    bodies = [_batch(prefix, n) for n in range(count)]  # built before the clock starts
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30.0) as client:

        async def send(due: float, body: bytes) -> None:
            response = await client.post(url, content=body)
            latencies.append((time.perf_counter() - due) * 1000)
            if response.status_code >= 300:
                failures.append(f"{response.status_code} {response.text[:200]}")

        start = time.perf_counter() + 0.05
        tasks = []
        for n, body in enumerate(bodies):
            due = start + n * interval
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(send(due, body)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} failed batches, first: {failures[0]}")
    cuts = statistics.quantiles(latencies, n=100)
    return WrkResult(count / elapsed, cuts[49], cuts[98])


if __name__ == "__main__":
    main()
