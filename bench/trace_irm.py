"""An object-level request trace whose ids say nothing, for the planner's opaque-id path.

`vodstack cache generate` writes viewing sessions along a title's segments, ids naming title,
rendition and segment. A CDN's own logs may give neither: hashed ids, and popularity per
object rather than per title. This trace is that case at its plainest: a fixed catalogue of
objects drawn by a Zipf law (each region's tastes a log-normal step from the common one,
drifting a log-normal step a day), mixed with one-timers (objects asked for once and never
again, as scans and the long tail leave in real logs), evening peaks, 16-hex-digit ids.
Popularity is stable, so the past says much; one request says little, because most objects
seen once are one-timers. Issue 19's tenth pass (docs/benchmarks.md) measures on it:

    .venv/bin/python bench/trace_irm.py var/tr/I2.csv.gz --seed 1 --objects 200000 \
        --zipf 0.8 --one-timers 0.5 --per-day 60000 --drift 0.1 --days 5
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import hashlib
import math
import random
from itertools import accumulate
from pathlib import Path

REGIONS = ("eu", "us")
OFFSET_S = {"eu": 0, "us": 6 * 3600}  # the us evening comes six hours after the eu one
MEDIAN_SIZE = 1_000_000
MIN_SIZE = 20_000


def _hour(rng: random.Random) -> float:
    """An hour of the day, most often in the evening (a sin^4 peak at 20:00 over a floor)."""
    while True:
        hour = rng.uniform(0, 24)
        if rng.random() < 0.3 + 0.7 * math.sin(math.pi * ((hour - 8) % 24) / 24) ** 4:
            return hour


def _size(rng: random.Random) -> int:
    return max(MIN_SIZE, int(rng.lognormvariate(math.log(MEDIAN_SIZE), 0.6)))


def _id(*parts: object) -> str:
    return hashlib.sha1("-".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()[:16]


def generate(args: argparse.Namespace) -> list[tuple[float, str, int, str]]:
    rng = random.Random(args.seed)  # noqa: S311 (a seeded simulation, not a secret)
    sizes = [_size(rng) for _ in range(args.objects)]
    common = [1.0 / (rank + 1) ** args.zipf for rank in range(args.objects)]
    tastes = {region: [w * rng.lognormvariate(0, 0.5) for w in common] for region in REGIONS}
    lines: list[tuple[float, str, int, str]] = []
    one_timers = 0
    for day in range(args.days):
        for region in REGIONS:
            weights = tastes[region]
            if day:
                weights = tastes[region] = [w * rng.lognormvariate(0, args.drift) for w in weights]
            cumulative = list(accumulate(weights))
            total = cumulative[-1]
            for _ in range(args.per_day):
                at = day * 86400 + (_hour(rng) * 3600 + OFFSET_S[region]) % 86400
                if rng.random() < args.one_timers:
                    one_timers += 1
                    lines.append((at, _id("n", args.seed, one_timers), _size(rng), region))
                else:
                    rank = bisect.bisect_left(cumulative, rng.random() * total)
                    lines.append((at, _id("o", args.seed, rank), sizes[rank], region))
    lines.sort()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--objects", type=int, default=200_000, help="lasting objects")
    parser.add_argument("--zipf", type=float, default=0.8)
    parser.add_argument("--one-timers", type=float, default=0.5, help="share of requests")
    parser.add_argument("--per-day", type=int, default=60_000, help="requests a day per region")
    parser.add_argument("--drift", type=float, default=0.1, help="daily log-normal step")
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args()
    lines = generate(args)
    opener = gzip.open if args.out.suffix == ".gz" else open
    with opener(args.out, "wt") as out:
        out.write("timestamp_s,object_id,size_bytes,region\n")
        for at, object_id, size, region in lines:
            out.write(f"{at:.3f},{object_id},{size},{region}\n")
    print(f"{args.out}: {len(lines):,} requests")


if __name__ == "__main__":
    main()
