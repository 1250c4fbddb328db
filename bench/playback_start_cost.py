"""CPU of one playback start in-process: the real app, its upstreams answered from memory.

`bench/services.py` measures the start through the running platform, where on a shared machine
the figures swing with the load and the catalog's, billing's and history's own CPU is mixed in.
This builds the playback app (`create_app`) on a SQLite file with fixed edges, answers its
catalog, billing and history calls from memory (an `httpx.MockTransport` under the same
`ResilientTransport` the service uses), and drives `POST /v1/sessions` through the ASGI
interface as uvicorn would, on fresh accounts; it prints the process's CPU per start, median
(min-max) of `--rounds`:

    .venv/bin/python bench/playback_start_cost.py [--rounds 5] [--count 2000] [--profile FILE]

Compare two commits by running it with each one's `src` on PYTHONPATH. `--profile` writes a
cProfile of the last round (read it with `python -m pstats FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import statistics
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx

from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.delivery.assets import asset_key
from vodstack.services.playback.app import create_app
from vodstack.services.playback.edges import FixedEdges
from vodstack.storage import open_object_store

VERSION = "bench1"
TITLE = 7
MASTER = (
    "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
    '#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=640x360,CODECS="avc1.64001e"\n'
    "v360p/index.m3u8\n"
    '#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,CODECS="avc1.64001f"\n'
    "v720p/index.m3u8\n"
)
TITLE_JSON = json.dumps(
    {
        "id": TITLE, "name": "Bench title", "kind": "movie", "year": 2020, "maturity": "teen",
        "genres": ["Drama"], "synopsis": "", "duration_s": 600, "availability": "available",
        "artwork_url": f"/api/titles/{TITLE}/artwork.svg", "cast": [], "seasons": [],
        "asset_version": VERSION, "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
).encode()  # fmt: skip
NO_HISTORY = b'{"error":{"code":"no_history","message":"Never played."}}'


def upstreams() -> dict[str, httpx.MockTransport]:
    """The catalog's title, billing's entitlement (with their change feeds), history's "never
    played", as the services answer them in `bench/services.py` (an unbilled account, no
    resume point). Every start is a new account, so the entitlement is never kept."""

    def catalog(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/titles/changes":  # the change feed: nothing ever changes
            return httpx.Response(200, json={"cursor": 1, "ids": [], "complete": True})
        return httpx.Response(200, content=TITLE_JSON, headers={"content-type": "application/json"})

    def billing(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/entitlements/changes":
            return httpx.Response(200, json={"cursor": 1, "ids": [], "complete": True})
        account = int(request.url.path.rsplit("/", 1)[1])
        body = {"account_id": account, "entitled": True, "status": None}
        return httpx.Response(200, json=body)

    def history(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, content=NO_HISTORY, headers={"content-type": "application/json"})

    return {
        "catalog": httpx.MockTransport(catalog),
        "billing": httpx.MockTransport(billing),
        "history": httpx.MockTransport(history),
    }


class Lifespan:
    """The ASGI lifespan protocol, as the server drives it."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.create_task(self._app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        message = await self._outbox.get()
        assert message["type"] == "lifespan.startup.complete", message

    async def __aexit__(self, *exc: object) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        assert self._task is not None
        await self._task


async def one_start(app: Any, token: str, account: int) -> int:
    body = json.dumps(
        {"account_id": account, "profile_id": 1, "maturity": "adult", "max_height": 1080,
         "max_streams": 4, "title_id": TITLE}
    ).encode()  # fmt: skip
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/sessions", "raw_path": b"/v1/sessions",
        "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (SERVICE_TOKEN_HEADER.lower().encode(), token.encode()),
        ],
        "state": {},
    }  # fmt: skip
    sent = False
    status = 0

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def rounds(args: argparse.Namespace, data_dir: Path) -> list[float]:
    settings = with_secrets(load_settings(data_dir=data_dir))
    objects = open_object_store(settings)
    objects.put_bytes(asset_key(TITLE, VERSION, "master.m3u8"), MASTER.encode())
    transports = upstreams()
    app = create_app(
        settings,
        edges=FixedEdges(["http://edge-a:1", "http://origin:3"]),
        catalog_transport=transports["catalog"],
        billing_transport=transports["billing"],
        history_transport=transports["history"],
    )
    token = ServiceCredentials.from_settings(settings, "gateway").token("playback")
    per_start: list[float] = []
    account = 0
    async with Lifespan(app):
        for n in range(args.rounds):
            profile = cProfile.Profile() if args.profile and n == args.rounds - 1 else None
            batch = []
            for _ in range(args.count):
                account += 1
                batch.append(account)
            before = time.process_time()
            if profile is not None:
                profile.enable()
            # 32 at a time, as the service sees 32 connections.
            for i in range(0, len(batch), 32):
                statuses = await asyncio.gather(
                    *(one_start(app, token, a) for a in batch[i : i + 32])
                )
                assert set(statuses) == {201}, statuses
            if profile is not None:
                profile.disable()
                profile.dump_stats(args.profile)
            per_start.append((time.process_time() - before) / args.count * 1e6)
    return per_start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vodstack-start-cost-") as tmp:
        per_start = asyncio.run(rounds(args, Path(tmp)))
    print(
        f"playback start, in-process: {statistics.median(per_start):.0f} us CPU per start "
        f"({min(per_start):.0f}-{max(per_start):.0f}), {args.rounds} rounds x {args.count}"
    )


if __name__ == "__main__":
    main()
