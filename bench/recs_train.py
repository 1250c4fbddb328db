"""Training time of the recommender at platform scale (issue 18): synthetic viewing history of
100,000 profiles x 10,000 titles, then the service's trainer end to end (matrix, EASE fit,
every profile's ranked titles, every title's neighbours), phase by phase.

    .venv/bin/python bench/recs_train.py [--users 100000] [--items 10000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from vodstack.services.recs.interactions import index
from vodstack.services.recs.models import RecencyEase, top_k
from vodstack.services.recs.synthetic import SyntheticSpec, generate
from vodstack.services.recs.trainer import neighbours, train


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    data = generate(SyntheticSpec(users=args.users, items=args.items, seed=1))
    print(
        f"generated {len(data):,} interactions ({args.users:,} x {args.items:,}) in "
        f"{time.perf_counter() - started:.1f} s; load {os.getloadavg()[0]:.2f}"
    )
    totals = []
    for round_ in range(args.rounds):
        phases: dict[str, float] = {}
        t = time.perf_counter()
        matrix = index(data)
        phases["matrix"] = time.perf_counter() - t
        model = RecencyEase()
        t = time.perf_counter()
        model.fit(matrix)
        phases["ease fit"] = time.perf_counter() - t
        t = time.perf_counter()
        rows = np.arange(matrix.shape[0], dtype=np.int64)
        count = sum(batch.size for batch, _ in top_k(model, matrix, rows, 100))
        phases["top-100 per profile"] = time.perf_counter() - t
        t = time.perf_counter()
        neighbours(model.weights, matrix.items)
        phases["neighbours"] = time.perf_counter() - t
        t = time.perf_counter()
        trained = train(data, model=RecencyEase())
        phases["trainer end to end"] = time.perf_counter() - t
        assert len(trained.recommended) == count
        totals.append(phases["trainer end to end"])
        print(
            f"round {round_ + 1}: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
            + f"; load {os.getloadavg()[0]:.2f}"
        )
    print(f"trainer end to end: median {np.median(totals):.1f} s over {len(totals)} round(s)")


if __name__ == "__main__":
    main()
