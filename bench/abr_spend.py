"""Issue 21, sixth round: `vodstack-adaptive`'s volatile branch spending a large buffer.

On the test-like broadband pieces (`broadband`) half of the default's loss to the offline
optimum came from the 14 of 60 sessions judged volatile (mean link volatility above 0.08): the
learned branch, whose MPC values the buffer up to 15 s, sat on 25-35 s of buffer at a rung below
the link's rate while the optimum played the rung above. Every variant below starts from the
committed default and changes only the volatile branch's pick:

- `adaptive:spend=B`: with at least `B` s of buffer, the pick is raised to the steady branch's
  cruise plan (`abr/cruise.py`) when that plan's first rung is higher, at the cruise quantile
  `q=Q` (6) of the current band, with `reserve=R` seconds kept out (2) and plans of
  `longest=N` chunks (24); `guard=0` skips the stall guard on the raised pick (on by default);
- `adaptive:policy=PATH`: the learned branch runs the policy JSON at `PATH` (what `vodstack abr
  train --out PATH` writes, e.g. with more DAgger rounds) instead of the committed one.

Variants are separated by `;`, options within one by `,`; `vodstack` is played first (the
anchor of the better/worse counts), then `adaptive` (the committed default):

    nice -n 10 .venv/bin/python bench/abr_spend.py --split-dir var/abr-split \
        --variants 'adaptive:spend=20;adaptive:spend=25' --splits broadband,train,synthetic

Results: docs/abr.md ("Sixth round"), docs/benchmarks.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from abr_report import variants_main
from vodstack.player.abr.adaptive import VOLATILE_ABOVE, AdaptiveAbr
from vodstack.player.abr.cruise import two_segment_sequences
from vodstack.player.abr.interface import DecisionContext
from vodstack.player.abr.planning import Horizon, rollout
from vodstack.player.abr.vodstack import VodstackAbr
from vodstack.player.abr.weights import PolicyWeights


def cruise_at(
    mpc: VodstackAbr, context: DecisionContext, quantile: int, longest: int, reserve: float
) -> int:
    """`cruise.cruise` with its constants as arguments."""
    p = mpc.params
    horizon = Horizon.ahead(context, longest)
    combos = two_segment_sequences(horizon.levels, horizon.length)
    ratio = p.errors.ratios(mpc.link.volatility())[quantile]
    played = rollout(
        horizon, max(context.buffer_s - reserve, 0.0), context.last_rendition,
        mpc.link.harmonic_mean() * ratio, mpc.link.latency_s, combos,
    )  # fmt: skip
    score = played.qoe(p.qoe)
    if context.chunks_left > horizon.length:
        score = score + p.buffer_value_per_s * np.minimum(played.end_buffer_s, p.buffer_value_cap_s)
    return int(combos[int(np.argmax(score)), 0])


class SpendVariantAbr(AdaptiveAbr):
    """`vodstack-adaptive` with the volatile-branch options of the module docstring."""

    def __init__(self, options: dict[str, str]) -> None:
        policy = options.get("policy")
        weights = None
        if policy is not None:
            weights = PolicyWeights.from_dict(json.loads(Path(policy).read_text())["weights"])
        super().__init__(weights)
        self.spend = float(options.get("spend", "inf"))
        self.quantile = int(options.get("q", "6"))
        self.reserve = float(options.get("reserve", "2"))
        self.longest = int(options.get("longest", "24"))
        self.guard = options.get("guard", "1") == "1"
        self.vol_below = float(options.get("volbelow", "1"))

    def decide(self, context: DecisionContext) -> int:
        volatility = self.session_volatility()
        pick = super().decide(context)
        if (
            volatility is None
            or volatility <= VOLATILE_ABOVE
            or volatility > self.vol_below
            or context.buffer_s < self.spend
        ):
            return pick
        planned = cruise_at(self.steady, context, self.quantile, self.longest, self.reserve)
        if planned <= pick:
            return pick
        while self.guard and planned > pick and self.stalls_in_worst_scenario(context, planned):
            planned -= 1
        return planned


def main() -> None:
    variants_main(
        __doc__ or "",
        SpendVariantAbr,
        anchors=["vodstack", "adaptive"],
        variants="adaptive:spend=20",
        splits="broadband,train,synthetic",
    )


if __name__ == "__main__":
    main()
