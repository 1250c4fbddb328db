"""Edge cold-fill throughput from an S3 origin against a local-disk origin, in one run.

Starts a SeaweedFS (`weed server -s3`, the test suite's launcher), two origins (one over a
local object directory, one over an S3 bucket on that SeaweedFS) and one edge in front of each
(granian processes). Every round publishes a fresh asset version with the same bytes to both
stores, so every request is a cold miss: the edge fills from its origin, which reads the local
file zero-copy or streams the object from S3. Rounds alternate which side goes first.

    .venv/bin/python bench/storage.py [--rounds 5] [--files 24] [--size-mb 2] [--concurrency 8]

Prints, per side, the median and the spread (min-max) of the rounds' cold-fill throughput
(body MB/s through the edge) and median time to first byte, then the ratio S3 / local. As a
reference for what the S3 server itself delivers on this machine, the same objects are also
read straight from the bucket with boto3 (same concurrency) after each round.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# The test suite's launchers (SeaweedFS, origin and edge processes) are reused as they are.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.cdn import Cluster
from tests.support.ports import free_port
from tests.support.seaweedfs import ACCESS_KEY, SECRET_KEY, start_seaweedfs

from vodstack.config import Settings, load_settings
from vodstack.config.secrets import with_secrets
from vodstack.delivery.assets import asset_key_prefix, asset_url_prefix
from vodstack.delivery.tokens import TokenSigner
from vodstack.delivery.topology import Topology
from vodstack.storage import LocalObjectStore, ObjectStore

TITLE = "bench"
EDGE = "edge-eu-1"


@dataclass
class Side:
    name: str
    settings: Settings
    store: ObjectStore
    throughput: list[float] = field(default_factory=list)  # MB/s per round
    ttfb_ms: list[float] = field(default_factory=list)  # median per round

    @property
    def edge_url(self) -> str:
        return Topology.from_settings(self.settings).edge(EDGE).url


def side_settings(data: Path, secret: str, storage: dict[str, object]) -> Settings:
    ports = {"origin": free_port(), EDGE: free_port()}
    cdn = {"regions": ["eu"], "edges_per_region": 1, "revocation_poll_s": 0.0}
    return with_secrets(
        load_settings(
            data_dir=data,
            ports=ports,
            log_level="warning",
            secret_key=secret,
            cdn=cdn,
            storage=storage,
        )
    )


def publish(store: ObjectStore, tmp: Path, version: str, files: dict[str, bytes]) -> None:
    staged = tmp / f"stage-{version}"
    for name, data in files.items():
        path = staged / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    store.publish_dir(staged, asset_key_prefix(TITLE, version))


def fetch(client: httpx.Client, url: str) -> tuple[int, float]:
    started = time.perf_counter()
    first = 0.0
    size = 0
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            if not first:
                first = time.perf_counter() - started
            size += len(chunk)
    return size, first


def cold_round(side: Side, version: str, names: list[str], concurrency: int) -> None:
    token = TokenSigner.from_settings(side.settings).sign(
        asset_url_prefix(TITLE, version), "bench", 3600
    )
    urls = [f"{side.edge_url}/v/{TITLE}/{version}/{name}?t={token}" for name in names]
    with httpx.Client(timeout=60) as client, ThreadPoolExecutor(concurrency) as pool:
        started = time.perf_counter()
        results = list(pool.map(lambda url: fetch(client, url), urls))
        elapsed = time.perf_counter() - started
    side.throughput.append(sum(size for size, _ in results) / elapsed / 1e6)
    side.ttfb_ms.append(statistics.median(first for _, first in results) * 1000)


def direct_round(store: ObjectStore, version: str, names: list[str], concurrency: int) -> float:
    """MB/s of the same objects read straight from the bucket: what S3 itself delivers here."""
    keys = [f"{asset_key_prefix(TITLE, version)}/{name}" for name in names]
    with ThreadPoolExecutor(concurrency) as pool:
        started = time.perf_counter()
        total = sum(len(data) for data in pool.map(store.read_bytes, keys))
        return total / (time.perf_counter() - started) / 1e6


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f}  ({min(values):.1f}-{max(values):.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--files", type=int, default=24, help="segments per round")
    parser.add_argument("--size-mb", type=float, default=2.0, help="size of each segment")
    parser.add_argument("--concurrency", type=int, default=8, help="client requests in flight")
    args = parser.parse_args()
    size = int(args.size_mb * 1_000_000)
    names = [f"1080p/seg_{n:05d}.m4s" for n in range(args.files)]

    with tempfile.TemporaryDirectory(prefix="vodstack-bench-s3-") as tmp_name, ExitStack() as run:
        tmp = Path(tmp_name)
        seaweed = start_seaweedfs(tmp / "seaweedfs")
        run.callback(seaweed.stop)
        bucket = seaweed.new_store()
        secret = os.urandom(24).hex()
        s3: dict[str, object] = {
            "backend": "s3",
            "s3_endpoint": seaweed.endpoint,
            "s3_bucket": bucket.bucket,
            "s3_access_key": ACCESS_KEY,
            "s3_secret_key": SECRET_KEY,
        }
        local_store = LocalObjectStore(tmp / "local" / "objects")
        sides = [
            Side("local", side_settings(tmp / "local", secret, {}), local_store),
            Side("s3", side_settings(tmp / "s3", secret, s3), bucket),
        ]
        for side in sides:
            (tmp / side.name / "logs").mkdir(parents=True)
            cluster = Cluster(side.settings, tmp / side.name / "logs")
            run.callback(cluster.stop_all)
            cluster.start("origin")
            cluster.start(EDGE)
        direct: list[float] = []
        for round_no in range(args.rounds):
            version = f"r{round_no}"
            files = {name: os.urandom(size) for name in names}
            for side in sides:
                publish(side.store, tmp, f"{side.name}-{version}", files)
            order = sides if round_no % 2 == 0 else sides[::-1]
            for side in order:
                cold_round(side, f"{side.name}-{version}", names, args.concurrency)
            direct.append(direct_round(bucket, f"s3-{version}", names, args.concurrency))

    local, remote = sides
    print(
        f"cold fill through one edge: {args.rounds} rounds x {args.files} x {args.size_mb} MB, "
        f"{args.concurrency} in flight; median (min-max)"
    )
    print(f"{'origin':8} {'MB/s':>22} {'TTFB ms':>22}")
    for side in sides:
        print(f"{side.name:8} {spread(side.throughput):>22} {spread(side.ttfb_ms):>22}")
    print(f"{'S3 GET':8} {spread(direct):>22}   (boto3 straight from the bucket, no origin/edge)")
    ratio = statistics.median(remote.throughput) / statistics.median(local.throughput)
    ttfb_ratio = statistics.median(remote.ttfb_ms) / statistics.median(local.ttfb_ms)
    print(f"ratio S3 / local: throughput {ratio:.2f}x, time to first byte {ttfb_ratio:.2f}x")


if __name__ == "__main__":
    main()
