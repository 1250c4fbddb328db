"""Edge vs nginx on the same files, same URLs, same load tool, equal processes, in one run.

Generates 2 MB segments and 20 KB objects into a temp object store, starts the origin and the
edge (granian processes), warms the edge's cache through the origin, starts Debian's nginx
(sendfile on) on the same files, and drives both with `wrk` using the same request list:

    .venv/bin/python bench/edge.py [--rounds 5] [--duration 8] [--connections 32]
                                   [--processes 1] [--pin/--no-pin] [--granian] [--baselines]

Fair by construction (issue 22): nginx runs `worker_processes N` and the edge N processes
(`--processes`, 1: the edge is one process); with >= 2 CPUs the servers are pinned to the
first N CPUs and wrk (and this script) to the rest (`--pin`, on by default there); every URL
carries both the edge's token (`t`) and an nginx `secure_link` signature (`s`, `e`) over the
same prefix, session and expiry, and both sides are checked to refuse an altered one, so
neither skips per-request work. Rounds are interleaved (nginx, edge, then edge, nginx, ...);
the output is the median and min-max per side and of the per-round ratio edge / nginx
(goals: >= 0.9 on 2 MB segments in bytes/s, >= 0.5 on 20 KB objects in requests/s), with
each server's CPU time per request (user + system from /proc, nginx's worker included: the
figure a loaded machine does not distort, unlike throughput), then the time to first byte of a
cold miss through the edge (alone in its region: no peer probe before the origin) against the
same request straight to the origin (goal: within 2 ms). The origin stands for another machine,
so it is pinned to the load generator's CPUs (idle there during the rounds, which are all hits),
not to the edge's: `--origin-with-servers` puts it back with the servers.

`--granian` adds the same checking edge served by granian (`cdn.data_plane = granian`, the
server before issue 22) to every round and to the cold-miss loop: before/after in one run.

`--baselines` adds two edges to every round. The revocation check (docs/security.md): an edge
with its revocation feed off, while the checking edge polls a real playback app (served in
this process) that lists `--revoked` revoked sessions; the in-process cost of the check itself
(token verify with and without a list that size) is printed too. The access log
(cdn/access_log.py): an edge with `cdn.access_log` off. Each is reported as the median and
spread of the per-round ratio to the checking edge.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Callable, Iterator
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
from vodstack.config.settings import DataPlaneKind
from vodstack.core.db import make_engine
from vodstack.delivery.assets import asset_key_prefix, asset_url_prefix
from vodstack.delivery.tokens import TokenSigner, derive_key
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
    command: list[str], log: Path, stdin: bytes | None = None, cpus: set[int] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A child process stopped (SIGTERM, then SIGKILL) when the block ends; on `cpus` (its
    children inherit the mask) when given."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=None if cpus is None else _pin(cpus),
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


def _pin(cpus: set[int]) -> Callable[[], None]:
    def pin() -> None:
        os.sched_setaffinity(0, cpus)

    return pin


def cdn_process(
    settings: Settings, name: str, log: Path, cpus: set[int] | None = None
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "vodstack.cdn.server", name, "--settings-stdin"]
    return owned(command, log, settings.dump_for_child().encode(), cpus)


NGINX_CONF = """
{user}
worker_processes {processes};
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
    # The asset version's prefix (/v/title/version/): what the link's hash is bound to, as the
    # edge's token MAC is.
    map $uri $asset_prefix {{
        "~^(?<p>/v/[^/]+/[^/]+/)" $p;
        default "";
    }}
    server {{
        listen 127.0.0.1:{port};
        location /v/ {{
            # nginx's own signed-URL check on every request (expiry, prefix, session, secret),
            # so nginx does per-request token work as the edge does.
            secure_link $arg_s,$arg_e;
            secure_link_md5 "$secure_link_expires${{asset_prefix}}{session} {secret}";
            if ($secure_link = "") {{ return 403; }}
            if ($secure_link = "0") {{ return 410; }}
            alias {objects}/titles/;
            add_header Cache-Control "public, max-age=31536000, immutable";
        }}
    }}
}}
"""


@dataclass(frozen=True)
class NginxLink:
    """nginx `secure_link` parameters for the same prefix, session and expiry as a token."""

    session: str
    secret: str

    def query(self, prefix: str, expiry: int) -> str:
        # md5 because that is what `secure_link_md5` computes; the edge's own token is HMAC-SHA256.
        text = f"{expiry}{prefix}{self.session} {self.secret}".encode()
        digest = hashlib.md5(text, usedforsecurity=False).digest()
        signature = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return f"s={signature}&e={expiry}"


def nginx(
    objects: Path, tmp: Path, port: int, processes: int, link: NginxLink, cpus: set[int] | None
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    # Root runs workers as `nobody` by default; the temp tree is private, so keep root.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            user=user,
            tmp=tmp,
            port=port,
            objects=objects,
            processes=processes,
            session=link.session,
            secret=link.secret,
        )
    )
    return owned(
        [NGINX, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")],
        tmp / "nginx.log",
        cpus=cpus,
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
    cpus: set[int] | None  # where wrk runs (None: anywhere)


def run_wrk(base_url: str, script: Path, load: Load) -> tuple[float, int]:
    """(requests/s, requests) over the script's request list; fails on any non-2xx answer."""
    pin = [] if load.cpus is None else ["taskset", "-c", ",".join(map(str, sorted(load.cpus)))]
    command = [
        *pin,
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.duration}s",
        # wrk's default 2 s counts a starved server's slow answers as socket errors.
        "--timeout",
        "30s",
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
    total = re.search(r"(\d+) requests in", output)
    if match is None or total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return float(match.group(1)), int(total.group(1))


_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its child processes (nginx's workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        # After the command: state ppid ... utime (12th) stime (13th), 0-based from state.
        if entry.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) * _TICK_S
    return total


def wrk_cpu_s() -> float:
    """User + system CPU seconds of this process's finished children: wrk runs (`taskset`
    execs it in place) and is waited for, so the difference around one run is wrk's."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def ttfb(seconds: list[float]) -> tuple[float, float]:
    """(median, p90) in ms."""
    times = sorted(seconds)
    return statistics.median(times) * 1000, times[int(len(times) * 0.9) - 1] * 1000


# The sides a round drives: nginx and the checking edge always; with --baselines also the edge
# with its revocation feed off ("plain") and the one with its access log off ("quiet").
# With --granian also the same checking edge served by granian (cdn.data_plane = granian): the
# before/after of the edge's own data plane in the same rounds.
NGINX_SIDE, EDGE_SIDE, PLAIN_SIDE, QUIET_SIDE = "nginx", "edge", "plain", "quiet"
GRANIAN_SIDE = "granian"


@dataclass
class Rounds:
    """Requests/s per side, one entry per interleaved round, per object size."""

    big: dict[str, list[float]] = field(default_factory=dict)
    small: dict[str, list[float]] = field(default_factory=dict)
    # Server CPU microseconds per request (robust to a loaded machine: cost, not speed).
    big_cpu: dict[str, list[float]] = field(default_factory=dict)
    small_cpu: dict[str, list[float]] = field(default_factory=dict)
    # The load generator's (wrk's) CPU microseconds per request against each side: on loopback
    # the kernel may do a server's transmitting in the reader's context (issue 22, third pass),
    # so a server can look cheap while it slows the client down.
    big_client: dict[str, list[float]] = field(default_factory=dict)
    small_client: dict[str, list[float]] = field(default_factory=dict)

    def ratios(self, kind: str, side: str, anchor: str) -> list[float]:
        values = getattr(self, kind)
        return [a / b for a, b in zip(values[side], values[anchor], strict=True)]


def spread(values: list[float], scale: float = 1.0, fmt: str = ".2f") -> str:
    """`median (min-max)` of a side's rounds."""
    med, low, high = (x * scale for x in (statistics.median(values), min(values), max(values)))
    return f"{med:{fmt}} ({low:{fmt}}-{high:{fmt}})"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def split_cpus(processes: int, pin: bool) -> tuple[set[int] | None, set[int] | None]:
    """(server CPUs, load-generator CPUs): the first `processes` CPUs this process may use for
    the servers, the rest for wrk; (None, None) when not pinning or there is no CPU left over."""
    allowed = sorted(os.sched_getaffinity(0))
    if not pin or len(allowed) <= processes:
        return None, None
    return set(allowed[:processes]), set(allowed[processes:])


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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="wrk threads (0: one per wrk CPU)")
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument(
        "--processes", type=int, default=1, help="server processes per side (nginx workers)"
    )
    parser.add_argument("--server-threads", type=int, default=1, help="granian runtime threads")
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=len(os.sched_getaffinity(0)) >= 2,
        help="servers on the first --processes CPUs, wrk on the rest (default on with >= 2)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument(
        "--origin-with-servers",
        action="store_true",
        help="pin the origin with the servers (before issue 22's last round: the cold miss's "
        "origin then shares the edge's CPU); by default it runs on the load generator's",
    )
    parser.add_argument(
        "--baselines",
        action="store_true",
        help="also drive an edge with its revocation feed off and one with its access log off",
    )
    parser.add_argument(
        "--granian",
        action="store_true",
        help="also drive the same edge served by granian (before/after of the data plane)",
    )
    parser.add_argument(
        "--data-plane",
        type=DataPlaneKind,
        default=DataPlaneKind.SENDFILE,
        choices=list(DataPlaneKind),
        help="what serves the checking edge's HTTP (cdn.data_plane)",
    )
    parser.add_argument(
        "--revoked", type=int, default=100_000, help="revoked sessions the checking edge holds"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    for tool in ("wrk", NGINX, "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install wrk nginx util-linux")
    if args.processes != 1:
        # The cache index, single-flight fills and counters live in the edge's one process.
        raise SystemExit("the edge serves from one process: --processes 1 (equal on both sides)")
    server_cpus, wrk_cpus = split_cpus(args.processes, args.pin)
    if wrk_cpus is not None:
        # This process (its playback thread, the warm-up client) stays off the servers' CPUs.
        os.sched_setaffinity(0, wrk_cpus)
    threads = args.threads or (len(wrk_cpus) if wrk_cpus else 2)
    load = Load(args.connections, threads, args.duration, wrk_cpus)
    started_load = load_average()

    with tempfile.TemporaryDirectory(prefix="vodstack-bench-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        data = tmp / "data"
        # One edge per region: a cold miss goes straight to the origin (a region's peers are
        # asked first, one round trip each, so same-region baseline edges would add a peer
        # probe per baseline to the miss figure: 3 edges in one region cost ~5 ms here).
        edge_name, plain_name, quiet_name = "edge-eu-1", "edge-us-1", "edge-ap-1"
        granian_name = "edge-sa-1"
        ports = {
            "origin": free_port(),
            "playback": free_port(),
            edge_name: free_port(),
            plain_name: free_port(),
            quiet_name: free_port(),
            granian_name: free_port(),
        }
        settings = with_secrets(
            load_settings(
                data_dir=data,
                ports=ports,
                log_level="warning",
                cdn={
                    "regions": ["eu", "us", "ap", "sa"],
                    "data_plane": args.data_plane,
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
        # The granian baseline: the checking edge in all but what serves its HTTP.
        granian_settings = settings.model_copy(
            update={"cdn": settings.cdn.model_copy(update={"data_plane": DataPlaneKind.GRANIAN})}
        )
        corpus = make_corpus(data / "objects")
        topology = Topology.from_settings(settings)
        urls = {NGINX_SIDE: "", EDGE_SIDE: topology.edge(edge_name).url}
        servers = [
            ("origin", topology.origin_url, settings),
            (edge_name, urls[EDGE_SIDE], settings),
        ]
        if args.baselines:
            urls[PLAIN_SIDE] = topology.edge(plain_name).url
            urls[QUIET_SIDE] = topology.edge(quiet_name).url
            servers += [
                (plain_name, urls[PLAIN_SIDE], plain_settings),
                (quiet_name, urls[QUIET_SIDE], quiet_settings),
            ]
        if args.granian:
            urls[GRANIAN_SIDE] = topology.edge(granian_name).url
            servers.append((granian_name, urls[GRANIAN_SIDE], granian_settings))
        seed_revocations(settings, args.revoked)
        stack.enter_context(playback_in_thread(settings, urls[EDGE_SIDE]))
        pid_of: dict[str, int] = {}
        for name, url, chosen in servers:
            # The origin stands for another machine: on the load generator's CPUs (idle during
            # the wrk rounds, which are all hits) unless --origin-with-servers, so a cold
            # miss's origin work does not share the edge's CPU (the origin-direct figure has
            # it alone on one either way).
            cpus = wrk_cpus if name == "origin" and not args.origin_with_servers else server_cpus
            process = stack.enter_context(cdn_process(chosen, name, tmp / f"{name}.log", cpus))
            wait_http(url + "/healthz", process)
            pid_of[url] = process.pid
        nginx_port = free_port()
        urls[NGINX_SIDE] = f"http://127.0.0.1:{nginx_port}"
        link = NginxLink("bench", derive_key(settings.secret()).hex())
        process = stack.enter_context(
            nginx(data / "objects", tmp, nginx_port, args.processes, link, server_cpus)
        )
        wait_http(urls[NGINX_SIDE] + "/", process)
        pid_of[urls[NGINX_SIDE]] = process.pid
        pids = {side: pid_of[url] for side, url in urls.items()}

        prefix = asset_url_prefix(TITLE, VERSION)
        expiry = int(time.time()) + 3600
        token = TokenSigner.from_settings(settings).sign(prefix, "bench", 3600, now=expiry - 3600)
        # One URL for both sides: the edge checks `t`, nginx checks `s` and `e` (same prefix,
        # session and expiry, both keyed with a secret), so neither skips per-request work.
        query = f"t={token}&{link.query(prefix, expiry)}"

        def paths(files: list[str]) -> list[str]:
            return [f"{prefix}{name}?{query}" for name in files]

        edge_ttfb, origin_ttfb = warm_up(
            settings, urls, corpus, prefix, query, topology.origin_url, args
        )
        scripts = {
            "big": wrk_script(tmp, "big", paths(corpus.big)),
            "small": wrk_script(tmp, "small", paths(corpus.small)),
        }
        rounds = run_rounds(urls, pids, scripts, load, args.rounds)
        with httpx.Client() as client:
            metrics = client.get(urls[EDGE_SIDE] + "/metrics").text
        # In-process token-verify cost, printed with the revocation baseline.
        check_ns = check_cost_ns(settings, args.revoked) if args.baselines else (0.0, 0.0, 0.0)

    print_setup(args, load, server_cpus, started_load)
    report(rounds, edge_ttfb, origin_ttfb, metrics)
    if args.granian:
        print("the edge's data plane vs granian serving the same edge, same rounds (medians):")
        for kind, label, scale, unit in (
            ("big", "2 MB segments", BIG / 1e9, "GB/s "),
            ("small", "20 KB objects", 1e-3, "kreq/s"),
        ):
            values = getattr(rounds, kind)
            pair = values[EDGE_SIDE], values[GRANIAN_SIDE]
            print(_ab(label, scale, unit, *pair, names=("granian", str(args.data_plane))))
    if args.baselines:
        report_revocations(args, rounds, check_ns)
        report_access_log(rounds)


def print_setup(
    args: argparse.Namespace, load: Load, server_cpus: set[int] | None, started_load: str
) -> None:
    """What was compared, on which CPUs, under what load: stated with every figure."""
    wrk_cpus = load.cpus
    setup = (
        f"servers: nginx worker_processes {args.processes} (sendfile, secure_link) | edge "
        f"{args.processes} process (data plane {args.data_plane}, granian runtime threads "
        f"{args.server_threads}, token + revocation check)"
    )
    if server_cpus is not None:
        origin_cpus = server_cpus if args.origin_with_servers else wrk_cpus or set()
        setup += (
            f"; servers pinned to CPU {sorted(server_cpus)}, wrk to CPU {sorted(wrk_cpus or ())}"
            f", the origin (cold misses only) to CPU {sorted(origin_cpus)}"
        )
    else:
        setup += "; not pinned"
    print(setup)
    print(
        f"wrk -t{load.threads} -c{load.connections} -d{load.duration}s, {args.rounds} interleaved "
        f"rounds; load average at start {started_load}, at end {load_average()}"
    )


def warm_up(
    settings: Settings,
    urls: dict[str, str],
    corpus: Corpus,
    prefix: str,
    query: str,
    origin_url: str,
    args: argparse.Namespace,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Check both sides refuse bad signatures, fill every cache, wait for the revocation list;
    then the cold-miss times to first byte (edge, origin direct)."""

    def paths(files: list[str]) -> list[str]:
        return [f"{prefix}{name}?{query}" for name in files]

    with httpx.Client(timeout=30) as client:
        check_refusals(client, urls, prefix + corpus.small[0], query)
        for path in paths(corpus.big + corpus.small):  # warm the edge caches (and nginx's)
            for url in urls.values():
                client.get(url + path).raise_for_status()
        deadline = time.monotonic() + 30
        for side, url in urls.items():
            while side != NGINX_SIDE and client.get(url + "/healthz").json()["fills_in_progress"]:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        waiting = time.monotonic()
        baseline = urls.get(PLAIN_SIDE)
        wait_revoked(client, settings, urls[EDGE_SIDE], baseline, args.revoked)
        if QUIET_SIDE in urls:
            wait_revoked(client, settings, urls[QUIET_SIDE], baseline, args.revoked)
        # Printed as soon as known: on a loaded machine the wrk rounds may still fail.
        print(
            f"revocation list ({args.revoked} sessions) held by the checking edge(s) "
            f"{time.monotonic() - waiting:.1f} s after the warm-up",
            flush=True,
        )
        cold = paths(corpus.cold)
        # Per object: the edge's miss, then the origin direct, (then the granian edge's miss):
        # interleaved, so a burst of load elsewhere hits every side alike.
        bases = [
            urls[EDGE_SIDE],
            origin_url,
            *([urls[GRANIAN_SIDE]] if GRANIAN_SIDE in urls else []),
        ]
        times: list[list[float]] = [[] for _ in bases]
        for path in cold:
            for side_times, base in zip(times, bases, strict=True):
                side_times.append(first_byte_s(client, base + path))
        edge_ttfb, origin_ttfb = ttfb(times[0]), ttfb(times[1])
        if len(times) > 2:
            granian = ttfb(times[2])
            print(
                f"cold miss TTFB, the granian edge: median {granian[0]:.2f} ms "
                f"p90 {granian[1]:.2f} ms",
                flush=True,
            )
        print(
            f"cold miss TTFB: edge median {edge_ttfb[0]:.2f} ms p90 {edge_ttfb[1]:.2f} ms; "
            f"origin direct median {origin_ttfb[0]:.2f} ms p90 {origin_ttfb[1]:.2f} ms",
            flush=True,
        )
    return edge_ttfb, origin_ttfb


def run_rounds(
    urls: dict[str, str], pids: dict[str, int], scripts: dict[str, Path], load: Load, count: int
) -> Rounds:
    rounds = Rounds()
    sides = list(urls)
    for number in range(count):
        # nginx, edge, ... then ..., edge, nginx: no side always gets the earlier (or the
        # later) slot of a round.
        order = sides if number % 2 == 0 else sides[::-1]
        for kind, script in scripts.items():
            for side in order:
                before, client_before = cpu_s(pids[side]), wrk_cpu_s()
                rate, requests = run_wrk(urls[side], script, load)
                used_us = (cpu_s(pids[side]) - before) * 1e6
                client_us = (wrk_cpu_s() - client_before) * 1e6
                getattr(rounds, kind).setdefault(side, []).append(rate)
                getattr(rounds, f"{kind}_cpu").setdefault(side, []).append(used_us / requests)
                getattr(rounds, f"{kind}_client").setdefault(side, []).append(client_us / requests)
        print(f"round {number + 1}/{count} done, load average {load_average()}", flush=True)
    return rounds


def check_refusals(client: httpx.Client, urls: dict[str, str], path: str, query: str) -> None:
    """Both sides refuse a URL whose signature was altered: neither skips its check."""
    tampered = re.sub(
        r"(t=|s=)(.)", lambda m: m.group(1) + ("B" if m.group(2) == "A" else "A"), query
    )
    for side, url in urls.items():
        status = client.get(f"{url}{path}?{tampered}").status_code
        bare = client.get(url + path).status_code
        if status != 403 or bare != 403:
            raise RuntimeError(f"{side} answered {status} to an altered signature, {bare} to none")


def wait_revoked(
    client: httpx.Client, settings: Settings, edge_url: str, plain_url: str | None, count: int
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
    if plain_url is not None:
        client.get(plain_url + url).raise_for_status()


def _ab(
    label: str,
    unit: float,
    unit_name: str,
    on: list[float],
    off: list[float],
    names: tuple[str, str] = ("off", "on"),
) -> str:
    ratios = [a / b for a, b in zip(on, off, strict=True)]
    return (
        f"  {label}  {names[0]} {statistics.median(off) * unit:8.2f} {unit_name}  {names[1]} "
        f"{statistics.median(on) * unit:8.2f} {unit_name}  ratio median "
        f"{statistics.median(ratios):.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f})"
    )


def report_revocations(
    args: argparse.Namespace, rounds: Rounds, check_ns: tuple[float, float, float]
) -> None:
    print(
        f"revocation check ({args.revoked} revoked sessions, polled every 1 s) vs feed off, "
        f"same rounds (medians):"
    )
    print(_ab("2 MB segments", BIG / 1e9, "GB/s ", rounds.big[EDGE_SIDE], rounds.big[PLAIN_SIDE]))
    print(_ab("20 KB objects", 1e-3, "kreq/s", rounds.small[EDGE_SIDE], rounds.small[PLAIN_SIDE]))
    print(
        f"  token verify in-process: {check_ns[0]:.0f} ns without a list, {check_ns[1]:.0f} ns "
        f"with {args.revoked} entries; the added slice + lookup alone {check_ns[2]:.0f} ns"
    )


def report_access_log(rounds: Rounds) -> None:
    print("access log on vs off, same rounds (medians):")
    print(_ab("2 MB segments", BIG / 1e9, "GB/s ", rounds.big[EDGE_SIDE], rounds.big[QUIET_SIDE]))
    print(_ab("20 KB objects", 1e-3, "kreq/s", rounds.small[EDGE_SIDE], rounds.small[QUIET_SIDE]))


def report(
    rounds: Rounds,
    edge_ttfb: tuple[float, float],
    origin_ttfb: tuple[float, float],
    metrics: str,
) -> None:
    misses = re.search(r"^vodstack_edge_misses_total (\S+)", metrics, re.M)
    print("median (min-max) of the rounds; ratio = edge / nginx per round")
    for kind, label, scale, unit, goal in (
        ("big", "2 MB segments", BIG / 1e9, "GB/s", 0.9),
        ("small", "20 KB objects", 1e-3, "kreq/s", 0.5),
    ):
        values = getattr(rounds, kind)
        print(
            f"{label}  nginx {spread(values[NGINX_SIDE], scale)} {unit}  edge "
            f"{spread(values[EDGE_SIDE], scale)} {unit}  ratio "
            f"{spread(rounds.ratios(kind, EDGE_SIDE, NGINX_SIDE), fmt='.3f')}  (goal >= {goal})"
        )
        cpu = getattr(rounds, f"{kind}_cpu")
        print(
            f"  server CPU per request: nginx {spread(cpu[NGINX_SIDE], fmt='.1f')} us  edge "
            f"{spread(cpu[EDGE_SIDE], fmt='.1f')} us  nginx / edge "
            f"{spread(rounds.ratios(f'{kind}_cpu', NGINX_SIDE, EDGE_SIDE), fmt='.3f')}"
        )
        client = getattr(rounds, f"{kind}_client")
        print(
            f"  wrk CPU per request: against nginx {spread(client[NGINX_SIDE], fmt='.1f')} us  "
            f"against the edge {spread(client[EDGE_SIDE], fmt='.1f')} us"
        )
        for side in values:
            if side not in (NGINX_SIDE, EDGE_SIDE):
                print(
                    f"  {side} edge {spread(values[side], scale)} {unit}  ratio to nginx "
                    f"{spread(rounds.ratios(kind, side, NGINX_SIDE), fmt='.3f')}; CPU per "
                    f"request {spread(cpu[side], fmt='.1f')} us, nginx / {side} "
                    f"{spread(rounds.ratios(f'{kind}_cpu', NGINX_SIDE, side), fmt='.3f')}"
                )
    print(
        f"cold miss TTFB (2 MB, {COLD_FILES} objects)  edge median {edge_ttfb[0]:.2f} ms "
        f"p90 {edge_ttfb[1]:.2f} ms;  origin direct median {origin_ttfb[0]:.2f} ms "
        f"p90 {origin_ttfb[1]:.2f} ms;  gap {edge_ttfb[0] - origin_ttfb[0]:.2f} ms (goal <= 2)"
    )
    print(
        f"edge misses during the run: {misses.group(1) if misses else '?'} "
        f"(warm-up and cold set only)"
    )


if __name__ == "__main__":
    main()
