"""Events accepted through the gateway (batches of 50) vs raw XADD to the same Redis, one run.

Starts the real platform (`vodstack up`) with the events log on Redis Streams (a throw-away key
prefix), logs in as the demo viewer, then:

- drives `POST /api/events` with `wrk` (a Lua script makes every event id unique, so nothing is
  a cheap duplicate) at `--connections` connections: events/s and p50/p99 per batch;
- an open-loop run at `--rate` events/s (below): p50/p99 per batch at the goal's load, and the
  CPU each process spent per batch;
- as the anchor, one Python client XADDs the same JSON events to the same Redis, 50 per
  pipelined round trip, for as long: events/s and p99 per round trip.

    .venv/bin/python bench/events.py [--connections 16] [--duration 10] [--rate 5000]
    .venv/bin/python bench/events.py --compare REV [--rounds 2] [--no-wrk]
    .venv/bin/python bench/events.py --compare-env VODSTACK_EVENTS__CONSUMER_NICENESS=0 --no-wrk

Goal (issue 17): >= 5,000 events/s through the gateway with p99 < 50 ms; the ratio to the
anchor is printed. The history and telemetry consumers run meanwhile, as in production.

`wrk` is closed-loop: it keeps every connection busy, so its p99 is the queueing of a
saturated two-core machine, not the latency at 5,000 events/s. `--rate` adds an open-loop run
at that offered load (a batch every 50/rate s, on schedule whatever the answers do, each
latency counted from its scheduled send, so a stall is not hidden by coordinated omission):
that run answers "p99 under 50 ms at 5,000 events/s" as worded.

**CPU per batch.** Latency on a shared machine swings with everyone else's load; the CPU time
a process spends per batch does not. Around the open-loop run the bench reads each service's
user+system CPU time (/proc/PID/stat) before the first batch and after the consumers have
drained every event (their work for the run is then all counted), and divides by the batches
sent. Redis's figure is its INFO cpu: exact for the private server, an upper bound for a
`--redis-url` shared with others.

**`--compare REV`** runs the same measurements against the source of commit REV (extracted with
`git archive` into a temporary tree and put first on PYTHONPATH of the platform it starts),
interleaved with the working tree's in each of `--rounds` rounds (order alternating), so both
sides see the same machine; it prints each side's median and range, and the ratio.
`--compare-env KEY=VALUE` does the same with the working tree's code under one more setting
(e.g. the consumers at the request threads' priority).

**Redis of its own.** By default the bench starts a private `redis-server` (no persistence,
a free port) for the platform's log and the anchor: on a shared machine the local Redis also
serves everyone else's tests, and its queueing (it is one process, scheduled like any other)
would be measured as the platform's. `--redis-url` uses an existing Redis instead;
`VODSTACK_BENCH_PREFIX` prefixes the keys.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httptools
import redis

from vodstack.core.processes import child_dies_with_us
from vodstack.supervisor.launcher import (
    RunningPlatform,
    free_port,
    gateway_client,
    running_platform,
)

BATCH = 50
# The Redis both the platform's log and the anchor use: a private `redis-server` the bench
# starts (set in `main`), or `--redis-url`.
REDIS_URL = "redis://127.0.0.1:6379/0"
REPO = Path(__file__).resolve().parent.parent
# The processes on an event's path, and the ones consuming it.
PROCESSES = ("gateway", "events", "history", "telemetry", "accounts")
GROUPS = ("history", "popularity", "telemetry")

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


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float


@dataclass
class Side:
    """One code version's measurements over the rounds."""

    name: str
    pythonpath: str | None
    env: dict[str, str] = field(default_factory=dict)
    wrk: list[WrkResult] = field(default_factory=list)
    paced: list[WrkResult] = field(default_factory=list)
    cpu: list[dict[str, float]] = field(default_factory=list)  # ms per batch, per process
    load: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # rounds void: some batches failed


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


@contextmanager
def _old_source(rev: str) -> Iterator[str]:
    """`src/` of commit `rev` in a temporary tree: the PYTHONPATH that runs that version."""
    with tempfile.TemporaryDirectory(prefix="vodstack-bench-") as tmp:
        archive = Path(tmp) / "src.tar"
        subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), rev, "src"],
            check=True,
        )
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        yield str(Path(tmp) / "src")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rate", type=float, default=5000.0, help="open-loop events/s; 0: skip")
    parser.add_argument("--compare", metavar="REV", help="also run commit REV's code, interleaved")
    parser.add_argument(
        "--compare-env", metavar="KEY=VALUE", help="also run the working tree with this setting"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--redis-url", help="an existing Redis (default: a private one)")
    parser.add_argument("--no-wrk", action="store_true", help="skip the closed-loop wrk run")
    args = parser.parse_args()
    if not args.no_wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (make test installs it)")
    prefix = f"{os.environ.get('VODSTACK_BENCH_PREFIX', 'vodstack-bench')}:{secrets.token_hex(4)}"
    global REDIS_URL
    with _redis(args.redis_url) as REDIS_URL, _maybe_old(args.compare) as old_path:
        sides = [Side("working tree", None)]
        if old_path is not None:
            sides.append(Side(f"{args.compare}", old_path))
        elif args.compare_env:
            key, _, value = args.compare_env.partition("=")
            sides.append(Side(args.compare_env, None, {key: value}))
        try:
            for round_ in range(args.rounds):
                order = sides if round_ % 2 == 0 else sides[::-1]
                for side in order:
                    _measure(side, args, f"{prefix}:{sides.index(side)}-{round_}")
            anchor_eps, anchor_p99 = _anchor(prefix, args.duration)
        finally:
            _cleanup(prefix)
    _report(sides, args, anchor_eps, anchor_p99)


@contextmanager
def _redis(url: str | None) -> Iterator[str]:
    """`url`, or a private `redis-server` on a free port for the duration (killed after)."""
    if url is not None:
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is missing: apt-get install redis-server, or --redis-url")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no"]
    with tempfile.TemporaryDirectory() as workdir:
        server = subprocess.Popen(
            [*command, "--dir", workdir],
            stdout=subprocess.DEVNULL,
            preexec_fn=child_dies_with_us(),
        )
        try:
            client = redis.Redis(port=port)
            deadline = time.monotonic() + 30
            while not _answers(client):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the private redis-server on :{port} did not start")
                time.sleep(0.05)
            client.close()
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.kill()
            server.wait()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@contextmanager
def _maybe_old(rev: str | None) -> Iterator[str | None]:
    if rev is None:
        yield None
        return
    with _old_source(rev) as path:
        yield path


def _measure(side: Side, args: argparse.Namespace, prefix: str) -> None:
    env = {
        "VODSTACK_EVENTS__BACKEND": "redis",
        "VODSTACK_EVENTS__REDIS_URL": REDIS_URL,
        "VODSTACK_EVENTS__REDIS_PREFIX": prefix,
        "VODSTACK_EVENTS__MAX_LAG": "1000000000",  # measure ingest, not back-pressure
    }
    if side.pythonpath is not None:
        env["PYTHONPATH"] = side.pythonpath
    env.update(side.env)
    print(f"... {side.name}: starting the platform", flush=True)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_platform(Path(tmp) / "data", extra_env=env) as platform,
    ):
        headers = _viewer_headers(platform)
        url = platform.url + "/api/events"
        if not args.no_wrk:
            script = _wrk_script(Path(tmp))
            _wrk(url, args.connections, 2, headers, script)  # warm-up
            side.wrk.append(_wrk(url, args.connections, args.duration, headers, script))
        if args.rate > 0:
            _drain(prefix)  # the wrk run's backlog is not this run's work
            pids = {s.service: s.pid for s in platform.status().services if s.pid is not None}
            pids = {name: pid for name, pid in pids.items() if name in PROCESSES}
            before, redis_before = _cpu(pids), _redis_cpu()
            try:
                paced = asyncio.run(_open_loop(url, headers, args.rate, args.duration))
            except RuntimeError as exc:  # failed batches: this round of this side is void
                side.failures.append(str(exc))
                print(f"... {side.name}: {exc}", flush=True)
                return
            side.load.append(os.getloadavg()[0])
            _drain(prefix)
            after, redis_after = _cpu(pids), _redis_cpu()
            batches = paced.count
            cpu = {name: (after[name] - before[name]) * 1000 / batches for name in pids}
            cpu["load generator"] = paced.client_cpu_s * 1000 / batches
            cpu["redis"] = (redis_after - redis_before) * 1000 / batches
            side.cpu.append(cpu)
            side.paced.append(paced.result)
        _cleanup(prefix)


def _viewer_headers(platform: RunningPlatform) -> dict[str, str]:
    logins = platform.logins()
    with gateway_client(platform) as client:
        body = {"email": logins["viewer_email"], "password": logins["viewer_password"]}
        client.post("/api/auth/login", json=body).raise_for_status()
        profile = client.get("/api/profiles").json()[0]["id"]
        client.post(f"/api/profiles/{profile}/select", json={}).raise_for_status()
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        return {
            "Cookie": cookies,
            "X-CSRF-Token": client.cookies["vodstack_csrf"],
            "Content-Type": "application/json",
        }


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU seconds of each process (all its threads)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for name, pid in pids.items():
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        seconds[name] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def _redis_cpu() -> float:
    client: Any = redis.Redis.from_url(REDIS_URL)  # redis-py types sync answers as Awaitable too
    info = client.info("cpu")
    client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _drain(prefix: str, timeout_s: float = 300.0) -> None:
    """Wait until every consumer group has committed every appended event."""
    client: Any = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            heads = {
                key.decode().rsplit(":", 1)[1]: int(client.get(key) or 0)
                for key in client.scan_iter(match=f"{prefix}:head:*")
            }
            behind = 0
            for group in GROUPS:
                offsets = client.hgetall(f"{prefix}:offsets:{group}")
                done = {k.decode(): int(v) for k, v in offsets.items()}
                behind += sum(head - done.get(p, 0) for p, head in heads.items())
            if behind == 0:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"consumers still {behind} events behind after {timeout_s}s")
            time.sleep(0.05)
    finally:
        client.close()


def _report(sides: list[Side], args: argparse.Namespace, anchor_eps: float, p99: float) -> None:
    print(f"events, batches of {BATCH}, {args.duration}s runs, {args.rounds} round(s)")
    for side in sides:
        print(f"[{side.name}]")
        for failure in side.failures:
            print(f"  a void round: {failure}")
        if side.wrk:
            eps = [w.rps * BATCH for w in side.wrk]
            print(
                f"  gateway POST /api/events, closed loop {args.connections} conns: "
                f"{_spread(eps, '.0f')} events/s  p50 {_spread([w.p50_ms for w in side.wrk])} ms"
                f"  p99 {_spread([w.p99_ms for w in side.wrk])} ms per batch"
            )
            print(f"  gateway / anchor: {statistics.median(eps) / anchor_eps:.2f}x")
        if side.paced:
            print(
                f"  open loop at {args.rate:.0f}/s: "
                f"{_spread([p.rps * BATCH for p in side.paced], '.0f')} events/s  "
                f"p50 {_spread([p.p50_ms for p in side.paced])} ms  "
                f"p99 {_spread([p.p99_ms for p in side.paced])} ms per batch (from schedule); "
                f"load average {_spread(side.load)}"
            )
            print("  CPU ms per batch (open loop, until the consumers drained):")
            for name in side.cpu[0]:
                values = [cpu[name] for cpu in side.cpu]
                print(f"    {name:16s} {_spread(values, '.2f')}")
            services = [sum(v for k, v in cpu.items() if k in PROCESSES) for cpu in side.cpu]
            print(f"    {'services total':16s} {_spread(services, '.2f')}")
    if len(sides) == 2 and sides[0].cpu and sides[1].cpu:  # rounds that completed on each side
        new, old = (
            statistics.median(sum(v for k, v in c.items() if k in PROCESSES) for c in s.cpu)
            for s in sides
        )
        print(f"services CPU per batch, {sides[0].name} / {sides[1].name}: {new / old:.2f}x")
    print(f"raw XADD (1 client): {anchor_eps:8.0f} events/s  p99 {p99:.1f} ms")


def _spread(values: list[float], spec: str = ".1f") -> str:
    """The median, and the range when there is more than one value."""
    median = format(statistics.median(values), spec)
    if len(values) < 2:
        return median
    return f"{median} ({format(min(values), spec)}-{format(max(values), spec)})"


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


class _Answer:
    """httptools' callbacks for one response."""

    def __init__(self) -> None:
        self.done = False
        self.body: list[bytes] = []

    def on_body(self, chunk: bytes) -> None:
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.done = True


class _Poster:
    """A lean keep-alive HTTP/1.1 client for the open loop: pre-encoded requests on idle
    connections, answers parsed by httptools. The load generator shares the two cores with the
    platform; httpx spent several times this CPU per request, which the platform then lacked."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self._head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(self, body: bytes) -> tuple[int, bytes]:
        reused = self._take()
        if reused is not None:
            try:
                return await self._exchange(*reused, body)
            except ConnectionError:
                pass  # the server closed it as we reused it (keep-alive timeout): a fresh one
        return await self._exchange(*await asyncio.open_connection(self._host, self._port), body)

    def _take(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        # uvicorn closes a connection idle for 5 s; never reuse one near that age.
        while self._idle:
            reader, writer, since = self._idle.pop()
            if time.monotonic() - since < 3.0:
                return reader, writer
            writer.close()
        return None

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes
    ) -> tuple[int, bytes]:
        writer.write(self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        answer = _Answer()
        parser = httptools.HttpResponseParser(answer)
        while not answer.done:
            chunk = await reader.read(65536)
            if not chunk:
                writer.close()
                raise ConnectionError("the gateway closed the connection without answering")
            parser.feed_data(chunk)
        status = parser.get_status_code()
        if parser.should_keep_alive():
            self._idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return status, b"".join(answer.body)

    def close(self) -> None:
        for _, writer, _ in self._idle:
            writer.close()


@dataclass
class Paced:
    result: WrkResult
    count: int
    client_cpu_s: float


async def _open_loop(
    url: str, headers: dict[str, str], events_per_s: float, duration: int
) -> Paced:
    """Batches sent on a fixed schedule, latency measured from each batch's scheduled time."""
    interval = BATCH / events_per_s
    count = int(duration / interval)
    prefix = "p" + secrets.token_hex(4)
    bodies = [_batch(prefix, n) for n in range(count)]  # built before the clock starts
    latencies: list[float] = []
    failures: list[str] = []
    poster = _Poster(url, headers)

    async def send(due: float, body: bytes) -> None:
        try:
            status, answer = await poster.post(body)
        except ConnectionError as exc:
            failures.append(f"{exc} (an overloaded gateway restarted by the supervisor?)")
            return
        latencies.append((time.perf_counter() - due) * 1000)
        if status >= 300:
            failures.append(f"{status} {answer[:200]!r}")

    cpu_before = time.process_time()
    start = time.perf_counter() + 0.05
    tasks = []
    for n, body in enumerate(bodies):
        due = start + n * interval
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(send(due, body)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    client_cpu = time.process_time() - cpu_before
    poster.close()
    if failures:
        raise RuntimeError(f"{len(failures)} failed batches, first: {failures[0]}")
    cuts = statistics.quantiles(latencies, n=100)
    return Paced(WrkResult(count / elapsed, cuts[49], cuts[98]), count, client_cpu)


if __name__ == "__main__":
    main()
