"""Issue 21, fifth round: `vodstack-adaptive`'s steady-link branch on broadband test-like traces.

On broadband pieces filtered like Pensieve's FCC test set (`training/broadband.py`) the fourth
round's default reached 90.7 % of the optimum and lost mostly to switching (0.088 Mbps per chunk
against the optimum's 0.026). Every variant below starts from that algorithm (its steady branch:
the scenario MPC valuing the buffer at 0.7 per second) and changes the steady branch (sessions
of mean link volatility at most `adaptive.VOLATILE_ABOVE`) and nothing else:

- `adaptive:sw=S`: the steady MPC plans with a switch penalty of `S` per Mbps instead of 1.0
  (the QoE it is scored on is unchanged);
- `adaptive:bv=V,cap=C`: the steady MPC values the buffer at `V` per second (0.7) up to `C` s (15);
- `adaptive:h=H`: the steady MPC plans `H` chunks ahead (5);
- `adaptive:vol=T`: sessions above mean volatility `T` go to the learned branch (0.08);
- `adaptive:cruise=Q`: the steady branch plays the first rung of the best plan that switches at
  most once (`abr/cruise.py`), at the prediction times the `Q`-th error ratio of the band
  (0 = 2.5 %), with `longest=N` chunks (48), `reserve=R` seconds of buffer kept out (0) and
  `guard=1` for the learned branch's stall guard on its pick, `hold=M` to keep the current
  rung unless the best plan beats the best plan starting with it by at least `M` (QoE, sixth
  round; `holddown=0`: only before stepping up); the committed default is
  `cruise=6,longest=24,reserve=2` (and `adaptive` alone, since it was committed;
  `adaptive:bv=0.7` is the fourth round's algorithm).

Variants are separated by `;`, options within one by `,`. `vodstack` is played first (the anchor
of the better/worse counts), then `adaptive` (the committed default), then the variants:

    nice -n 15 .venv/bin/python bench/abr_steady.py --split-dir var/abr-split \
        --variants 'adaptive:sw=1.5;adaptive:sw=2' --splits train,synthetic,broadband --jobs 2

The split directory is what `vodstack abr train --seed 1 --split-dir` writes (`broadband` and
`broadband-heldout` included). Results: docs/abr.md ("Fifth round"), docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import numpy as np

from abr_report import variants_main
from vodstack.player.abr import adaptive
from vodstack.player.abr.adaptive import AdaptiveAbr
from vodstack.player.abr.interface import DecisionContext
from vodstack.player.abr.planning import Horizon, IntArray, rollout
from vodstack.player.abr.qoe import LinearQoE
from vodstack.player.abr.vodstack import VodstackAbr


@cache
def two_segment_sequences(levels: int, length: int) -> IntArray:
    """Every plan of `length` chunks that holds one rung, then (maybe) another, sorted."""
    plans = {
        tuple([a] * k + [b] * (length - k))
        for a in range(levels)
        for b in range(levels)
        for k in range(1, length + 1)
    }
    return np.array(sorted(plans), dtype=np.int64).reshape(len(plans), length)


def cruise(
    mpc: VodstackAbr,
    context: DecisionContext,
    quantile: int,
    longest: int,
    reserve: float = 0.0,
    hold: float = 0.0,
    hold_down: bool = True,
) -> int:
    """First rung of the best two-segment plan to the end (at most `longest` chunks) at one
    throughput: the prediction times the `quantile`-th error ratio of the current band."""
    horizon = Horizon.ahead(context, longest)
    combos = two_segment_sequences(horizon.levels, horizon.length)
    ratio = mpc.params.errors.ratios(mpc.link.volatility())[quantile]
    played = rollout(
        horizon, max(context.buffer_s - reserve, 0.0), context.last_rendition,
        mpc.link.harmonic_mean() * ratio, mpc.link.latency_s, combos,
    )  # fmt: skip
    score = played.qoe(mpc.params.qoe)
    if context.chunks_left > horizon.length:
        p = mpc.params
        score = score + p.buffer_value_per_s * np.minimum(played.end_buffer_s, p.buffer_value_cap_s)
    best = int(combos[int(np.argmax(score)), 0])
    if hold > 0.0 and (
        best > context.last_rendition or (hold_down and best != context.last_rendition)
    ):
        staying = combos[:, 0] == context.last_rendition
        if float(score.max()) - float(score[staying].max()) < hold:
            return context.last_rendition
    return best


class SteadyVariantAbr(AdaptiveAbr):
    """`vodstack-adaptive` with the steady branch's options of the module docstring."""

    def __init__(self, options: dict[str, str]) -> None:
        super().__init__()
        steady = self.steady.params
        self.steady = VodstackAbr(
            replace(
                steady,
                buffer_value_per_s=float(options.get("bv", steady.buffer_value_per_s)),
                buffer_value_cap_s=float(options.get("cap", steady.buffer_value_cap_s)),
                horizon=int(options.get("h", steady.horizon)),
                qoe=LinearQoE(smoothness_penalty=float(options.get("sw", "1"))),
            )
        )
        self.volatile_above = float(options.get("vol", adaptive.VOLATILE_ABOVE))
        self.cruise = int(options["cruise"]) if "cruise" in options else None
        self.longest = int(options.get("longest", "48"))
        self.guard = options.get("guard") == "1"
        self.reserve = float(options.get("reserve", "0"))
        self.hold = float(options.get("hold", "0"))
        self.hold_down = options.get("holddown", "1") == "1"

    def decide(self, context: DecisionContext) -> int:
        if not self.learned.mpc.link:
            return context.last_rendition
        volatility = self.session_volatility()
        if volatility is None:
            return self.learned.mpc.decide(context)
        if volatility > self.volatile_above:
            pick = self.learned.decide(context)
            while pick > 0 and self.stalls_in_worst_scenario(context, pick):
                pick -= 1
            return pick
        if self.cruise is not None:
            pick = cruise(
                self.steady, context, self.cruise, self.longest, self.reserve, self.hold,
                self.hold_down,
            )  # fmt: skip
            while self.guard and pick > 0 and self.stalls_in_worst_scenario(context, pick):
                pick -= 1
            return pick
        return self.steady.decide(context)


def main() -> None:
    variants_main(
        __doc__ or "",
        SteadyVariantAbr,
        anchors=["vodstack", "adaptive"],
        variants="adaptive:sw=1.5",
        splits="train,synthetic,broadband",
    )


if __name__ == "__main__":
    main()
