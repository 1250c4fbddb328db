"""The gateway's own CPU per catalog listing, in-process: its upstreams answer from memory.

`bench/gateway.py` measures the gateway as deployed, but on a shared machine its req/s say more
about the scheduler than about the gateway. This drives the real gateway app (every middleware,
route, dependency, resilient transport; no server, no socket) with `GET /api/titles` as a
logged-in viewer whose accounts and catalog services are `httpx.MockTransport`s answering
fixed bytes, and reports process CPU per request, median of `--rounds` rounds:

    .venv/bin/python bench/gateway_cost.py [--rounds 5] [--requests 3000] [--profile]

Compare two commits by running it on each (the figure is CPU time, steady under load).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from vodstack.config import load_settings
from vodstack.config.secrets import with_secrets
from vodstack.contracts.accounts import Account, Plan, PlanCode, Profile, Role, SessionInfo
from vodstack.contracts.common import Maturity
from vodstack.gateway.app import create_app
from vodstack.gateway.csrf import CSRF_COOKIE
from vodstack.gateway.sessions import SESSION_COOKIE

SESSION_ID = "S" * 32
LISTING = json.dumps(
    {"items": [{"id": n, "name": f"Title {n}"} for n in range(20)], "total": 200}
).encode()
SESSION = SessionInfo(
    session_id=SESSION_ID,
    account=Account(
        id=1,
        email="viewer@example.com",
        role=Role.VIEWER,
        plan=Plan(
            code=PlanCode.STANDARD, name="Standard", max_height=1080, max_streams=2, price_cents=1
        ),
        created_at=datetime.now(UTC),
    ),
    profile=Profile(
        id=1,
        account_id=1,
        name="Viewer",
        avatar_color="#000000",
        maturity=Maturity.ADULT,
        has_pin=False,
    ),
    expires_at=datetime.now(UTC) + timedelta(days=1),
)


def _json(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "application/json"})


async def measure(rounds: int, requests: int, profile: cProfile.Profile | None) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = with_secrets(load_settings(data_dir=Path(tmp), upstream_timeout_s=30.0))
        session = SESSION.model_dump_json().encode()
        transports = {
            "catalog": httpx.MockTransport(lambda _: _json(LISTING)),
            "accounts": httpx.MockTransport(lambda _: _json(session)),
        }
        app = create_app(settings, transports=transports)
        cookie = f"{SESSION_COOKIE}={SESSION_ID}; {CSRF_COOKIE}={'c' * 43}".encode()
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": "/api/titles", "raw_path": b"/api/titles",
            "query_string": b"limit=20", "root_path": "", "client": ("127.0.0.1", 50000),
            "headers": [(b"host", b"gateway"), (b"cookie", cookie)],
            "server": ("127.0.0.1", 80),
        }  # fmt: skip

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def one() -> None:
            sent: list[MutableMapping[str, Any]] = []

            async def send(message: MutableMapping[str, Any]) -> None:
                sent.append(message)

            await app(dict(scope), receive, send)
            if sent[0]["status"] != 200:
                raise RuntimeError(f"the gateway answered {sent}")

        figures = []
        async with app.router.lifespan_context(app):
            for _ in range(300):  # warm: the session cache, the hedging window
                await one()
            for _ in range(rounds):
                started = time.process_time()
                if profile is not None:
                    profile.enable()
                for _ in range(requests):
                    await one()
                if profile is not None:
                    profile.disable()
                figures.append((time.process_time() - started) / requests * 1e6)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true", help="cProfile, top 40 by own time")
    args = parser.parse_args()
    # The access line is kept in production; here it would measure the terminal.
    logging.getLogger("vodstack.access").setLevel(logging.WARNING)
    profile = cProfile.Profile() if args.profile else None
    figures = asyncio.run(measure(args.rounds, args.requests, profile))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"gateway CPU per listing: {statistics.median(figures):.0f} us "
          f"({min(figures):.0f}-{max(figures):.0f}, {args.rounds} rounds x {args.requests}); "
          f"load average {load}")  # fmt: skip
    if profile is not None:
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
