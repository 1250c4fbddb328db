"""What keeping the catalog's answers in Redis costs a cached read, beside the in-process cache.

    .venv/bin/python bench/shared_cache.py [--rounds 5] [--duration 2] [--redis redis://127.0.0.1:6379/2]

Two catalog apps over the same SQLite catalog (60 published titles): one keeps its answers in
process memory (the default), one in Redis (`redis.url`; core.redis_answers). Each is driven
in process (httpx's ASGI transport, no sockets: the figure is the app's own cost) with
`GET /v1/titles?maturity=adult&limit=20` and a service token, as the gateway asks it, one
request at a time. Every answer after the first is a cache hit on both sides, so the
difference is the hit path: a dictionary lookup against one Redis round trip (a Lua script
reading the version counter and the answer kept under it).
Rounds interleave the two sides (order flipped every round); the table gives the median of the
rounds, their spread (min-max) and the ratio Redis / in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import redis
from fastapi import FastAPI

from vodstack.config.secrets import with_secrets
from vodstack.config.settings import RedisSettings, Settings, load_settings
from vodstack.core.service_auth import SERVICE_TOKEN_HEADER, ServiceCredentials
from vodstack.services.catalog.app import create_app

LISTING = "/v1/titles?maturity=adult&limit=20"


async def seed(app: FastAPI, headers: dict[str, str], titles: int) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://c") as client:
        for n in range(titles):
            body = {
                "name": f"Title {n}",
                "year": 2000 + n % 25,
                "maturity": "teen",
                "genres": ["Drama"],
                "synopsis": "A bench title.",
                "duration_s": 60,
            }
            created = await client.post("/v1/titles", json=body, headers=headers)
            created.raise_for_status()
            published = await client.put(
                f"/v1/titles/{created.json()['id']}/availability",
                json={"availability": "available", "asset_version": "v1"},
                headers=headers,
            )
            published.raise_for_status()


async def rate(app: FastAPI, headers: dict[str, str], duration_s: float) -> float:
    """Requests per second of sequential cached listings for `duration_s`."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://c") as client:
        first = await client.get(LISTING, headers=headers)  # fills the cache
        first.raise_for_status()
        done = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < duration_s:
            answer = await client.get(LISTING, headers=headers)
            assert answer.status_code == 200 and answer.content == first.content
            done += 1
        return done / elapsed


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base: Settings = with_secrets(load_settings(data_dir=Path(tmp)))
        prefix = f"vodstack-bench:{secrets.token_hex(6)}"
        shared = base.model_copy(update={"redis": RedisSettings(url=args.redis, prefix=prefix)})
        apps = {"in-process": create_app(base), "redis": create_app(shared)}
        headers = {
            SERVICE_TOKEN_HEADER: ServiceCredentials.from_settings(base, "bench").token("catalog")
        }
        await seed(apps["in-process"], headers, args.titles)
        results: dict[str, list[float]] = {name: [] for name in apps}
        for round_ in range(args.rounds):
            order = list(apps) if round_ % 2 == 0 else list(reversed(apps))
            for name in order:
                results[name].append(await rate(apps[name], headers, args.duration))
        await apps["redis"].state.redis.aclose()
        client = redis.Redis.from_url(args.redis)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()
    print(f"catalog listing, cached, sequential, {args.rounds} rounds x {args.duration:g} s")
    print(f"{'answers in':<12} {'req/s median':>13} {'spread':>17}")
    for name, figures in results.items():
        spread = f"{min(figures):,.0f}-{max(figures):,.0f}"
        print(f"{name:<12} {statistics.median(figures):>13,.0f} {spread:>17}")
    ratio = statistics.median(results["redis"]) / statistics.median(results["in-process"])
    print(f"ratio redis / in-process: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=2.0)
    parser.add_argument("--titles", type=int, default=60)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/2")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
