"""CPU per cached hot read in-process: the catalog listing replayed through every middleware.

`bench/services.py` measures the services as deployed, but on a shared machine its req/s say
more about the scheduler than about the app. This drives the real catalog app (no server, no
socket) with `GET /v1/titles?maturity=adult&limit=20` carrying a service token, answered from
its answer cache (core.answer_cache) after the first request, with the access line written by
the services' own logging setup to /dev/null; it reports process CPU per request, median of
`--rounds` rounds:

    .venv/bin/python bench/hot_read_cost.py [--rounds 5] [--requests 5000] [--profile] [--layers]

`--layers` also drives each middleware of the stack on its own (the app, which answers on its
replay path; FastAPI's stack without it; then each layer's inner app down to the answer cache)
and prints its CPU per request: the differences are what each layer costs.

Compare two commits by running it with each one's `src` on PYTHONPATH (CPU time is steady under
load; wall time is not).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from vodstack.config.secrets import with_secrets
from vodstack.config.settings import load_settings
from vodstack.core.context import configure_logging
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.services.catalog.app import create_app

Message = MutableMapping[str, Any]
TITLES = 30


def seed(client: TestClient) -> None:
    for n in range(TITLES):
        body = {"name": f"Title {n}", "year": 2000, "maturity": "adult", "genres": ["Drama"]}
        created = client.post("/v1/titles", json=body).json()
        state = {"availability": "available", "asset_version": "v1"}
        client.put(f"/v1/titles/{created['id']}/availability", json=state).raise_for_status()


def scope_of(token: str) -> dict[str, Any]:
    headers = [(b"host", b"catalog"), (SERVICE_TOKEN_HEADER.encode(), token.encode())]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/v1/titles", "raw_path": b"/v1/titles", "root_path": "",
        "query_string": b"maturity=adult&limit=20", "headers": headers,
        "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 40000),
    }  # fmt: skip


async def drive(app: FastAPI, scope: dict[str, Any], requests: int) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    for _ in range(requests):
        sent.clear()
        await app(dict(scope), receive, send)
    return sent


def cpu_per_request(app: Any, scope: dict[str, Any], rounds: int, requests: int) -> list[float]:
    per_request = []
    for _ in range(rounds):
        started = time.process_time()
        asyncio.run(drive(app, scope, requests))
        per_request.append((time.process_time() - started) / requests * 1e6)
    return per_request


def layers(app: FastAPI) -> list[tuple[str, Any]]:
    """The app, then each middleware inside it down to the answer cache (a replay's path)."""
    out: list[tuple[str, Any]] = [
        ("the app (its replay path, core.replay_path)", app),
        ("FastAPI's stack (the replay path skipped)", functools.partial(FastAPI.__call__, app)),
    ]
    node = app.middleware_stack
    while node is not None and type(node).__name__ != "AnswerCache":
        out.append((type(node).__name__, node))
        node = getattr(node, "app", None)
    if node is not None:
        out.append(("AnswerCache (the replay)", node))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--layers", action="store_true", help="CPU from each middleware inwards")
    args = parser.parse_args()
    sys.stderr = Path(os.devnull).open("w")  # noqa: SIM115 (the access lines, for the run)
    configure_logging("catalog")
    settings = with_secrets(load_settings(data_dir=Path(tempfile.mkdtemp())))
    app = create_app(settings)
    token = ServiceCredentials.from_settings(settings, "bench").token("catalog")
    with TestClient(app) as client:
        client.headers[SERVICE_TOKEN_HEADER] = token
        seed(client)
        scope = scope_of(token)
        last = asyncio.run(drive(app, scope, 100))  # fills the cache
        assert last[0]["status"] == 200 and b'"total":30' in last[1]["body"], last
        per_request = cpu_per_request(app, scope, args.rounds, args.requests)
        print(f"CPU per cached listing: {statistics.median(per_request):.1f} us "
              f"({min(per_request):.1f}-{max(per_request):.1f}), {args.rounds} rounds x "
              f"{args.requests}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        if args.layers:
            print("| from this layer inwards | CPU us per request |\n|---|---:|")
            for name, layer in layers(app):
                cost = statistics.median(cpu_per_request(layer, scope, args.rounds, args.requests))
                print(f"| {name} | {cost:.1f} |")
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(asyncio.run, drive(app, scope, args.requests))
            pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
