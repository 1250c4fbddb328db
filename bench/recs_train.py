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
from vodstack.services.recs.trainer import RECOMMENDED, neighbours


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
        # The trainer's own steps (trainer.train_indexed), timed one by one.
        phases: dict[str, float] = {}
        t = time.perf_counter()
        matrix = index(data)
        phases["matrix"] = time.perf_counter() - t
        report(round_, "matrix", phases)
        model = RecencyEase()
        t = time.perf_counter()
        model.fit(matrix)
        phases["EASE fit"] = time.perf_counter() - t
        report(round_, "EASE fit", phases)
        t = time.perf_counter()
        rows = np.arange(matrix.shape[0], dtype=np.int64)
        count = sum(batch.size for batch, _ in top_k(model, matrix, rows, RECOMMENDED))
        phases[f"top-{RECOMMENDED} of {count:,} profiles"] = time.perf_counter() - t
        report(round_, f"top-{RECOMMENDED} of {count:,} profiles", phases)
        t = time.perf_counter()
        neighbours(model.weights, matrix.items)
        phases["neighbours"] = time.perf_counter() - t
        report(round_, "neighbours", phases)
        totals.append(sum(phases.values()))
        print(f"round {round_ + 1}: trainer total {totals[-1]:.1f} s", flush=True)
    print(f"trainer: median {np.median(totals):.1f} s over {len(totals)} round(s)")


def report(round_: int, phase: str, phases: dict[str, float]) -> None:
    print(
        f"round {round_ + 1}: {phase} {phases[phase]:.1f} s; load {os.getloadavg()[0]:.2f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
