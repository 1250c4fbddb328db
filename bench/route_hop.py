"""What a plain `def` route costs over an `async def` one: FastAPI's thread-pool hop, alone.

Two routes answering the same byte, called in-process through the ASGI interface (no server,
no database), interleaved rounds; prints CPU and wall time per request and the ratio:

    .venv/bin/python bench/route_hop.py [--requests 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from fastapi import FastAPI, Response

app = FastAPI()


@app.get("/def")
def in_thread() -> Response:
    return Response(b"x")


@app.get("/async")
async def on_loop() -> Response:
    return Response(b"x")


async def _call(path: str) -> None:
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"bench")], "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2), "state": {},
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_: Any) -> None:
        return None

    await app(scope, receive, send)


async def _measure(path: str, requests: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per request."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        await _call(path)
    return (
        (time.process_time() - cpu) / requests * 1e6,
        (time.perf_counter() - wall) / requests * 1e6,
    )


async def main(requests: int, rounds: int) -> None:
    results: dict[str, list[tuple[float, float]]] = {"/def": [], "/async": []}
    for path in results:
        await _measure(path, 200)  # warm-up: the pool's threads exist before timing
    for _ in range(rounds):
        for path, samples in results.items():
            samples.append(await _measure(path, requests))
    for path, samples in results.items():
        cpu = statistics.median(s[0] for s in samples)
        wall = statistics.median(s[1] for s in samples)
        print(f"{path:<7} CPU {cpu:7.0f} us/request   wall {wall:7.0f} us/request")
    ratio = statistics.median(d[0] / a[0] for d, a in zip(*results.values(), strict=True))
    print(f"CPU ratio def/async: {ratio:.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds))
