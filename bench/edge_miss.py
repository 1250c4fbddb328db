"""CPU time of one cold miss through an edge, in process: the miss path's own cost, A/B-able.

    .venv/bin/python bench/edge_miss.py [--objects 40] [--size 2000000] [--rounds 3]
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python bench/edge_miss.py   # the B side

The origin and one edge (alone in its region: no peer probe) run as ASGI apps in this process,
joined by a routing transport (no sockets, no other processes), and a client asks the edge for
`--objects` objects it has never seen: each request is a miss filled from the origin and
streamed back. It prints the process CPU time per miss (median per round): CPU, not wall time,
so a busy machine slows it less than it slows a TTFB figure, and what it counts is the code on
the miss path (edge, fill, origin, client). Only APIs that ffde5b4 already had are used, so the
same file measures an older checkout (issue 13: cold-miss TTFB, docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from vodstack.cdn.edge import create_edge_app
from vodstack.cdn.origin import create_origin_app
from vodstack.config import Settings, load_settings
from vodstack.config.secrets import with_secrets
from vodstack.core.metrics import ASGIApp
from vodstack.delivery.assets import asset_key_prefix, asset_url_prefix
from vodstack.delivery.tokens import TokenSigner
from vodstack.delivery.topology import Topology

EDGE = "edge-eu-1"


class Router(httpx.AsyncBaseTransport):
    """Each request to the app registered for its host:port."""

    def __init__(self) -> None:
        self.apps: dict[str, ASGIApp] = {}

    def add(self, base_url: str, app: ASGIApp) -> None:
        self.apps[httpx.URL(base_url).netloc.decode()] = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.apps[request.url.netloc.decode()]
        return await httpx.ASGITransport(app=app).handle_async_request(request)


def settings_in(data: Path) -> Settings:
    # The ports are names here (no sockets); the feed is off: no playback to poll.
    ports = {"origin": 1, "playback": 2, EDGE: 3}
    cdn = {"regions": ["eu"], "edges_per_region": 1, "revocation_poll_s": 0.0}
    return with_secrets(load_settings(data_dir=data, ports=ports, log_level="warning", cdn=cdn))


async def one_round(objects: int, size: int) -> float:
    """Median CPU seconds per miss over `objects` fresh objects."""
    with tempfile.TemporaryDirectory(prefix="vodstack-miss-") as tmp:
        settings = settings_in(Path(tmp))
        root = Path(tmp) / "objects" / asset_key_prefix("bench", "v1")
        root.mkdir(parents=True)
        body = os.urandom(size)
        for n in range(objects + 1):
            (root / f"c{n:05d}.m4s").write_bytes(body)
        router = Router()
        router.add(settings.service_url("origin"), create_origin_app(settings))
        edge = create_edge_app(settings, EDGE, transport=router)
        edge_url = Topology.from_settings(settings).edge(EDGE).url
        router.add(edge_url, edge)
        await edge.startup()
        token = TokenSigner.from_settings(settings).sign(asset_url_prefix("bench", "v1"), "b", 600)
        cpu: list[float] = []
        try:
            async with httpx.AsyncClient(transport=router) as client:
                for n in range(objects + 1):  # the first one warms connections and imports
                    started = time.process_time()
                    response = await client.get(f"{edge_url}/v/bench/v1/c{n:05d}.m4s?t={token}")
                    response.raise_for_status()
                    assert len(response.content) == size
                    if n:
                        cpu.append(time.process_time() - started)
        finally:
            await edge.shutdown()
        return statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=40)
    parser.add_argument("--size", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    medians = [asyncio.run(one_round(args.objects, args.size)) for _ in range(args.rounds)]
    rounds = " ".join(f"{m * 1e6:.0f}" for m in medians)
    print(
        f"cold miss CPU per request ({args.size} B, {args.objects} objects): median of rounds "
        f"{statistics.median(medians) * 1e6:.0f} us (rounds: {rounds} us)"
    )


if __name__ == "__main__":
    main()
