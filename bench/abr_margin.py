"""Issue 21, third round: the learned policy overruling the MPC only by a margin (rejected).

`vodstack-learned` (and `vodstack-adaptive`'s volatile branch) take the plausible rendition the
network ranks best. This variant keeps the MPC's own choice unless the network predicts its
pick better by at least `m` (QoE, the teacher's scale), i.e. it believes the network only where
it is confident. Plays every trace of the chosen splits with `vodstack` (the anchor of the
better/worse counts), the committed policies and the margin variants, in parallel processes.

    nice -n 10 .venv/bin/python bench/abr_margin.py --split-dir var/abr-split \
        --margins 0.05,0.1,0.2,0.3,0.5 --splits train,synthetic,heldout --jobs 2

The split directory is what `vodstack abr train --seed 1 --split-dir` writes. Results and the
reason for rejecting it: docs/abr.md ("Third round"), docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import ClassVar

from abr_report import run_splits
from vodstack.player.abr.adaptive import AdaptiveAbr
from vodstack.player.abr.interface import AbrAlgorithm, DecisionContext
from vodstack.player.abr.learned import LEVELS, LearnedAbr, choose, features
from vodstack.player.abr.vodstack import VodstackAbr


class MarginLearnedAbr(LearnedAbr):
    """`vodstack-learned`, but the MPC's choice stands unless the network beats it by `margin`."""

    name: ClassVar[str] = "vodstack-learned-margin"

    def __init__(self, margin: float) -> None:
        super().__init__()
        self.margin = margin

    def decide(self, context: DecisionContext) -> int:
        if not self.mpc.link:
            return context.last_rendition
        x = features(self.mpc, context)
        pick = choose(self.weights, x)
        mpc_choice = x[:LEVELS].index(0.0)
        if pick != mpc_choice:
            predicted = self.weights.logits(x)
            if predicted[pick] - predicted[mpc_choice] < self.margin:
                return mpc_choice
        return pick


def create(spec: str) -> AbrAlgorithm:
    """`vodstack`, `learned[:m]` or `adaptive[:m]`."""
    kind, _, margin_text = spec.partition(":")
    margin = float(margin_text) if margin_text else 0.0
    if kind == "vodstack":
        return VodstackAbr()
    if kind == "learned":
        return MarginLearnedAbr(margin) if margin else LearnedAbr()
    if kind == "adaptive":
        algorithm = AdaptiveAbr()
        if margin:
            branch = MarginLearnedAbr(margin)
            branch.mpc = algorithm.learned.mpc  # the adaptive choice reads this link estimator
            algorithm.learned = branch
        return algorithm
    raise SystemExit(f"unknown variant {spec!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split-dir", type=Path, required=True)
    parser.add_argument("--margins", default="0.05,0.1,0.2,0.3,0.5")
    parser.add_argument("--splits", default="train,synthetic,heldout")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    margins = [m for m in args.margins.split(",") if m]
    specs = [
        "vodstack", "learned", *(f"learned:{m}" for m in margins),
        "adaptive", *(f"adaptive:{m}" for m in margins),
    ]  # fmt: skip
    run_splits(args.split_dir, args.splits.split(","), specs, args.jobs, create)


if __name__ == "__main__":
    main()
