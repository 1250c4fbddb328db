"""Edge vs nginx on the same files, same load tool, same connections, in one run.

Generates 2 MB segments and 20 KB objects into a temp object store, starts the origin and one
edge (granian processes), warms the edge's cache through the origin, starts Debian's nginx
(sendfile on) on the same files, and drives both with `wrk` using the same request list:

    .venv/bin/python bench/edge.py [--connections 32] [--threads 2] [--duration 10]
                                   [--server-threads 1] [--rounds 2]

Prints body bytes/s on 2 MB segments (goal: edge >= 0.9x nginx) and requests/s on 20 KB objects
(goal: edge >= 0.3x nginx), best of `--rounds` alternating runs each, then the time to first
byte of a cold miss through the edge (alone in its region: no peer probe before the origin)
against the same request straight to the origin.

The revocation check (docs/security.md) is measured side by side: a second edge runs with its
revocation feed off, while the first polls a real playback app (served in this process)
that lists `--revoked` revoked sessions, and both get the same load in the same rounds. The
in-process cost of the check itself (token verify with and without a list that size) is
printed too.

The access log (cdn/access_log.py) is measured the same way: a third edge runs with
`cdn.access_log` off, the checking edge writes its log, and the ratio of the two is printed per
round (median and spread of the interleaved rounds).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import insert

from vodstack.cdn.revocations import RevokedSessions
from vodstack.cli.serve import server_config
from vodstack.config import Settings, load_settings
from vodstack.config.secrets import with_secrets
from vodstack.core.db import make_engine
from vodstack.delivery.assets import asset_key_prefix, asset_url_prefix
from vodstack.delivery.tokens import TokenSigner
from vodstack.delivery.topology import Topology
from vodstack.services.playback.app import create_app as create_playback_app
from vodstack.services.playback.app import migrate
from vodstack.services.playback.edges import FixedEdges
from vodstack.services.playback.models import RevocationRow

TITLE, VERSION = "bench", "v1"
BIG, SMALL = 2_000_000, 20_000
BIG_FILES, SMALL_FILES, COLD_FILES = 16, 200, 20
NGINX = "/usr/sbin/nginx"


@dataclass(frozen=True)
class Corpus:
    big: list[str]  # file paths under the asset version
    small: list[str]
    cold: list[str]


def make_corpus(objects: Path) -> Corpus:
    root = objects / asset_key_prefix(TITLE, VERSION)
    groups = {
        "big": [(f"1080p/seg_{n:05d}.m4s", BIG) for n in range(BIG_FILES)],
        "small": [(f"thumbs/t_{n:05d}.jpg", SMALL) for n in range(SMALL_FILES)],
        "cold": [(f"cold/seg_{n:05d}.m4s", BIG) for n in range(COLD_FILES)],
    }
    for files in groups.values():
        for name, size in files:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(size))
    return Corpus(*([name for name, _size in files] for files in groups.values()))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60  # a granian start takes seconds on a loaded machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=0.5)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def owned(
    command: list[str], log: Path, stdin: bytes | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process stopped (SIGTERM, then SIGKILL) when the block ends."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        assert process.stdin is not None
        if stdin is not None:
            process.stdin.write(stdin)
        process.stdin.close()
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cdn_process(
    settings: Settings, name: str, log: Path
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "vodstack.cdn.server", name, "--settings-stdin"]
    return owned(command, log, settings.dump_for_child().encode())


NGINX_CONF = """
{user}
worker_processes auto;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/client;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    types {{ video/iso.segment m4s; image/jpeg jpg; }}
    server {{
        listen 127.0.0.1:{port};
        location /v/ {{
            alias {objects}/titles/;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }}
    }}
}}
"""


def nginx(objects: Path, tmp: Path, port: int) -> AbstractContextManager[subprocess.Popen[bytes]]:
    # Root runs workers as `nobody` by default; the temp tree is private, so keep root.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(user=user, tmp=tmp, port=port, objects=objects))
    return owned(
        [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")],
        tmp / "nginx.log",
    )


WRK_SCRIPT = """
local paths = {{{paths}}}
local i = 0
request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
end
"""


def wrk_script(tmp: Path, name: str, paths: list[str]) -> Path:
    script = tmp / f"{name}.lua"
    script.write_text(WRK_SCRIPT.format(paths=", ".join(f'"{p}"' for p in paths)))
    return script


@dataclass(frozen=True)
class Load:
    connections: int
    threads: int
    duration: int


def run_wrk(base_url: str, script: Path, load: Load) -> float:
    """Requests/s over the script's request list; fails on any non-2xx answer."""
    command = [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.duration}s",
        "-s",
        str(script),
        base_url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=load.duration + 60
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw errors against {base_url}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return float(match.group(1))


def first_byte_s(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        response.raise_for_status()
        chunks = response.iter_raw()
        next(chunks)
        elapsed = time.perf_counter() - started
        for _chunk in chunks:
            pass
    return elapsed


def ttfb(client: httpx.Client, urls: list[str]) -> tuple[float, float]:
    times = sorted(first_byte_s(client, url) for url in urls)
    return statistics.median(times) * 1000, times[int(len(times) * 0.9) - 1] * 1000


@dataclass
class Results:
    nginx_big: float = 0.0
    edge_big: float = 0.0
    nginx_small: float = 0.0
    edge_small: float = 0.0
    # The same, on the edge whose revocation feed is off.
    plain_big: float = 0.0
    plain_small: float = 0.0
    # Per round: (access log on, off) on the edge pair that differs only in the access log.
    logged_big: list[tuple[float, float]] = field(default_factory=list)
    logged_small: list[tuple[float, float]] = field(default_factory=list)


def revoked_ids(count: int) -> list[str]:
    return [f"revoked-{n:08d}" for n in range(count)]


def seed_revocations(settings: Settings, count: int) -> None:
    """`count` revoked sessions in playback's database, as if that many plays had ended."""
    engine = make_engine(settings.database_url("playback"))
    migrate(engine)
    now = datetime.now(UTC)
    rows = [
        {"play_session_id": sid, "revoked_at": now, "token_expires_at": now + timedelta(hours=6)}
        for sid in revoked_ids(count)
    ]
    with engine.begin() as db:
        db.execute(insert(RevocationRow), rows)
    engine.dispose()


@contextmanager
def playback_in_thread(settings: Settings, edge_url: str) -> Iterator[None]:
    """The real playback app (revocation list included) on its configured port."""
    app = create_playback_app(settings, edges=FixedEdges([edge_url]))
    server = uvicorn.Server(server_config(app, settings.host, settings.port("playback")))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("playback did not start")
        time.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def check_cost_ns(settings: Settings, revoked_count: int) -> tuple[float, float, float]:
    """Nanoseconds per token verify without and with a revocation list of `revoked_count`, and
    of the added step alone (slicing the session out of the token, one lookup)."""
    signer = TokenSigner.from_settings(settings)
    prefix = asset_url_prefix(TITLE, VERSION)
    token = signer.sign(prefix, "playing-session", 3600).encode()
    revoked = RevokedSessions()
    for sid in revoked_ids(revoked_count):
        revoked.add(sid, time.time() + 3600)
    path = f"{prefix}1080p/seg_00000.m4s".encode()
    rounds = 200_000

    def per_call(listed: RevokedSessions | tuple[()]) -> float:
        timer = timeit.Timer(
            lambda: signer.verify(prefix.encode(), token, path=path, revoked=listed)
        )
        return min(timer.repeat(repeat=5, number=rounds)) / rounds * 1e9

    raw = b"\x00" * 11 + b"playing-session" + b"\x00" * 32
    lookup = timeit.Timer(lambda: raw[11:26] in revoked)
    lookup_ns = min(lookup.repeat(repeat=5, number=rounds)) / rounds * 1e9
    return per_call(()), per_call(revoked), lookup_ns


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--server-threads", type=int, default=1, help="granian runtime threads")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--revoked", type=int, default=100_000, help="revoked sessions the checking edge holds"
    )
    args = parser.parse_args()
    for tool in ("wrk", NGINX):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install wrk nginx-light")
    load = Load(args.connections, args.threads, args.duration)

    with tempfile.TemporaryDirectory(prefix="vodstack-bench-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        data = tmp / "data"
        # One edge per region: a cold miss goes straight to the origin (a region's peers are
        # asked first, one round trip each, so same-region baseline edges would add a peer
        # probe per baseline to the miss figure: 3 edges in one region cost ~5 ms here).
        edge_name, plain_name, quiet_name = "edge-eu-1", "edge-us-1", "edge-ap-1"
        ports = {
            "origin": free_port(),
            "playback": free_port(),
            edge_name: free_port(),
            plain_name: free_port(),
            quiet_name: free_port(),
        }
        settings = with_secrets(
            load_settings(
                data_dir=data,
                ports=ports,
                log_level="warning",
                cdn={
                    "regions": ["eu", "us", "ap"],
                    "edges_per_region": 1,
                    "server_threads": args.server_threads,
                },
            )
        )
        # The baseline edge: no revocation feed (the list stays empty).
        plain_settings = settings.model_copy(
            update={"cdn": settings.cdn.model_copy(update={"revocation_poll_s": 0.0})}
        )
        # The access-log baseline: the checking edge in all but its access log.
        quiet_settings = settings.model_copy(
            update={"cdn": settings.cdn.model_copy(update={"access_log": False})}
        )
        corpus = make_corpus(data / "objects")
        topology = Topology.from_settings(settings)
        edge_url = topology.edge(edge_name).url
        plain_url = topology.edge(plain_name).url
        quiet_url = topology.edge(quiet_name).url
        seed_revocations(settings, args.revoked)
        stack.enter_context(playback_in_thread(settings, edge_url))
        for name, url, chosen in (
            ("origin", topology.origin_url, settings),
            (edge_name, edge_url, settings),
            (plain_name, plain_url, plain_settings),
            (quiet_name, quiet_url, quiet_settings),
        ):
            process = stack.enter_context(cdn_process(chosen, name, tmp / f"{name}.log"))
            wait_http(url + "/healthz", process)
        nginx_port = free_port()
        nginx_url = f"http://127.0.0.1:{nginx_port}"
        process = stack.enter_context(nginx(data / "objects", tmp, nginx_port))
        wait_http(nginx_url + "/", process)

        token = TokenSigner.from_settings(settings).sign(
            asset_url_prefix(TITLE, VERSION), "bench", 3600
        )

        def paths(files: list[str]) -> list[str]:
            return [f"/v/{TITLE}/{VERSION}/{name}?t={token}" for name in files]

        with httpx.Client(timeout=30) as client:
            for path in paths(corpus.big + corpus.small):  # warm the edge caches (and nginx's)
                client.get(edge_url + path).raise_for_status()
                client.get(plain_url + path).raise_for_status()
                client.get(quiet_url + path).raise_for_status()
                client.get(nginx_url + path).raise_for_status()
            deadline = time.monotonic() + 30
            for url in (edge_url, plain_url, quiet_url):
                while client.get(url + "/healthz").json()["fills_in_progress"]:
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
            waiting = time.monotonic()
            wait_revoked(client, settings, edge_url, plain_url, args.revoked)
            wait_revoked(client, settings, quiet_url, plain_url, args.revoked)
            # Printed as soon as known: on a loaded machine the wrk rounds may still fail.
            print(
                f"revocation list ({args.revoked} sessions) held by both checking edges "
                f"{time.monotonic() - waiting:.1f} s after the warm-up",
                flush=True,
            )
            cold = paths(corpus.cold)
            edge_ttfb = ttfb(client, [edge_url + p for p in cold])
            origin_ttfb = ttfb(client, [topology.origin_url + p for p in cold])
            print(
                f"cold miss TTFB: edge median {edge_ttfb[0]:.2f} ms p90 {edge_ttfb[1]:.2f} ms; "
                f"origin direct median {origin_ttfb[0]:.2f} ms p90 {origin_ttfb[1]:.2f} ms",
                flush=True,
            )

        big_script = wrk_script(tmp, "big", paths(corpus.big))
        small_script = wrk_script(tmp, "small", paths(corpus.small))
        results = Results()
        for _round in range(args.rounds):
            results.nginx_big = max(results.nginx_big, run_wrk(nginx_url, big_script, load))
            results.edge_big = max(results.edge_big, run_wrk(edge_url, big_script, load))
            results.nginx_small = max(results.nginx_small, run_wrk(nginx_url, small_script, load))
            results.edge_small = max(results.edge_small, run_wrk(edge_url, small_script, load))
            results.plain_big = max(results.plain_big, run_wrk(plain_url, big_script, load))
            results.plain_small = max(results.plain_small, run_wrk(plain_url, small_script, load))
            # Which of the pair goes first alternates by round: no side always gets the later,
            # warmer (or the earlier, quieter) slot.
            for script, pairs in (
                (big_script, results.logged_big),
                (small_script, results.logged_small),
            ):
                if _round % 2:
                    logged, quiet = (
                        run_wrk(edge_url, script, load),
                        run_wrk(quiet_url, script, load),
                    )
                else:
                    quiet, logged = (
                        run_wrk(quiet_url, script, load),
                        run_wrk(edge_url, script, load),
                    )
                pairs.append((logged, quiet))
        with httpx.Client() as client:
            metrics = client.get(edge_url + "/metrics").text
        check_ns = check_cost_ns(settings, args.revoked)

    report(args, load, results, edge_ttfb, origin_ttfb, metrics)
    report_revocations(args, results, check_ns)
    report_access_log(results)


def wait_revoked(
    client: httpx.Client, settings: Settings, edge_url: str, plain_url: str, count: int
) -> None:
    """Until the checking edge holds the list: the last revoked session is refused there (and
    only there)."""
    if count == 0:
        return
    prefix = asset_url_prefix(TITLE, VERSION)
    token = TokenSigner.from_settings(settings).sign(prefix, revoked_ids(count)[-1], 3600)
    url = f"{prefix}1080p/seg_00000.m4s?t={token}"
    deadline = time.monotonic() + 60
    while client.get(edge_url + url).status_code != 403:
        if time.monotonic() > deadline:
            raise RuntimeError("the edge never loaded the revocation list")
        time.sleep(0.2)
    client.get(plain_url + url).raise_for_status()


def report_revocations(
    args: argparse.Namespace, results: Results, check_ns: tuple[float, float, float]
) -> None:
    print(
        f"revocation check ({args.revoked} revoked sessions, polled every 1 s) vs feed off, "
        f"same rounds:"
    )
    print(
        f"  2 MB segments   off {results.plain_big * BIG / 1e9:6.2f} GB/s   on "
        f"{results.edge_big * BIG / 1e9:6.2f} GB/s   ratio "
        f"{results.edge_big / results.plain_big:.3f}"
    )
    print(
        f"  20 KB objects   off {results.plain_small:8.0f} req/s  on {results.edge_small:8.0f} "
        f"req/s  ratio {results.edge_small / results.plain_small:.3f}"
    )
    print(
        f"  token verify in-process: {check_ns[0]:.0f} ns without a list, {check_ns[1]:.0f} ns "
        f"with {args.revoked} entries; the added slice + lookup alone {check_ns[2]:.0f} ns"
    )


def _ab(label: str, unit: float, unit_name: str, pairs: list[tuple[float, float]]) -> str:
    ratios = [on / off for on, off in pairs]
    on = statistics.median(p[0] for p in pairs) * unit
    off = statistics.median(p[1] for p in pairs) * unit
    return (
        f"  {label}  off {off:8.2f} {unit_name}  on {on:8.2f} {unit_name}  ratio median "
        f"{statistics.median(ratios):.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f})"
    )


def report_access_log(results: Results) -> None:
    print(f"access log on vs off, {len(results.logged_big)} interleaved rounds (medians):")
    print(_ab("2 MB segments", BIG / 1e9, "GB/s ", results.logged_big))
    print(_ab("20 KB objects", 1e-3, "kreq/s", results.logged_small))


def report(
    args: argparse.Namespace,
    load: Load,
    results: Results,
    edge_ttfb: tuple[float, float],
    origin_ttfb: tuple[float, float],
    metrics: str,
) -> None:
    misses = re.search(r"^vodstack_edge_misses_total (\S+)", metrics, re.M)
    print(
        f"wrk -t{load.threads} -c{load.connections} -d{load.duration}s, best of {args.rounds} "
        f"rounds; edge: granian, {args.server_threads} runtime thread(s); nginx: "
        f"worker_processes auto, sendfile on"
    )
    big_nginx, big_edge = results.nginx_big * BIG / 1e9, results.edge_big * BIG / 1e9
    print(
        f"2 MB segments   nginx {big_nginx:6.2f} GB/s   edge {big_edge:6.2f} GB/s   "
        f"ratio {big_edge / big_nginx:.2f}  (goal >= 0.9)"
    )
    print(
        f"20 KB objects   nginx {results.nginx_small:8.0f} req/s  edge "
        f"{results.edge_small:8.0f} req/s  ratio {results.edge_small / results.nginx_small:.2f}"
        f"  (goal >= 0.3)"
    )
    print(
        f"cold miss TTFB (2 MB, {COLD_FILES} objects)  edge median {edge_ttfb[0]:.2f} ms "
        f"p90 {edge_ttfb[1]:.2f} ms;  origin direct median {origin_ttfb[0]:.2f} ms "
        f"p90 {origin_ttfb[1]:.2f} ms"
    )
    print(
        f"edge misses during the run: {misses.group(1) if misses else '?'} "
        f"(warm-up and cold set only)"
    )


if __name__ == "__main__":
    main()
