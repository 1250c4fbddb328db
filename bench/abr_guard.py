"""Issue 21, fourth round: a stall guard for `vodstack-adaptive`, and the other variants tried.

The third round's `vodstack-adaptive` beat `vodstack` on every split of both families but
stalled 0.04 s per session more on held-out FCC. The variants here keep its per-session choice
and change one thing (`adaptive` alone is the committed algorithm, i.e. `floor=0`; every option
list starts from the third round's, i.e. without a guard unless `floor` is given):

- `adaptive:floor=K`: in the volatile (learned) branch the pick steps down while its next chunk,
  downloaded at the MPC's prediction times its `K`-th lowest error ratio (0 = the 2.5 %
  quantile) plus the measured latency, would take longer than the buffer holds (**committed**
  with K = 0); `floor=none` is the third round's algorithm; `floorall=1` also guards the steady
  branch; `fscale=S` multiplies the guard's ratio by `S`;
- `adaptive:worst=K`: the same test, but only refusing picks above the MPC's choice (the MPC's
  choice stands); `adaptive:up=G`: refusing them while the buffer is under `G` seconds;
- `adaptive:low=G`: below `G` seconds of buffer, `vodstack` decides in either branch;
  `adaptive:lowl=G` the same in the volatile branch only;
- `adaptive:bv=V`: the steady branch values the buffer at `V` per second instead of 0.7;
- `adaptive:first=steady`: the first three decisions by the steady branch instead of `vodstack`.

Variants are separated by `;`, options within one by `,` (`adaptive:floor=0,bv=0.8`). Every
trace of the chosen splits is played with every variant (`vodstack` first: the anchor of the
better/worse counts), in parallel processes:

    nice -n 15 .venv/bin/python bench/abr_guard.py --split-dir var/abr-split \
        --variants 'adaptive:floor=none;adaptive' --splits train,synthetic,heldout --jobs 2

The split directory is what `vodstack abr train --seed 1 --split-dir` writes. Results and the
choice: docs/abr.md ("Fourth round"), docs/benchmarks.md.
"""

from __future__ import annotations

from dataclasses import replace

from abr_report import variants_main
from vodstack.player.abr import adaptive
from vodstack.player.abr.adaptive import AdaptiveAbr
from vodstack.player.abr.interface import DecisionContext
from vodstack.player.abr.learned import LEVELS, choose, features
from vodstack.player.abr.vodstack import VodstackAbr, VodstackParams


class VariantAdaptiveAbr(AdaptiveAbr):
    """`vodstack-adaptive` with the options of the module docstring."""

    def __init__(self, options: dict[str, str]) -> None:
        super().__init__()
        self.up_below_s = float(options.get("up", "0"))
        self.worst = int(options["worst"]) if "worst" in options else None
        self.first_steady = options.get("first") == "steady"
        self.low_s = float(options.get("low", "0"))
        floor = options.get("floor", "none")
        self.floor = None if floor == "none" else int(floor)
        self.floor_everywhere = options.get("floorall") == "1"
        self.floor_scale = float(options.get("fscale", "1"))
        self.low_learned_s = float(options.get("lowl", "0"))
        if "bv" in options:
            self.steady = VodstackAbr(
                replace(VodstackParams(), buffer_value_per_s=float(options["bv"]))
            )

    def stalls(self, context: DecisionContext, rendition: int, quantile: int) -> bool:
        """Whether the next chunk at `rendition` stalls at the `quantile`-th error ratio."""
        mpc = self.learned.mpc
        ratio = mpc.params.errors.ratios(mpc.link.volatility())[quantile] * self.floor_scale
        if context.upcoming_sizes is not None:
            size = float(context.upcoming_sizes[0][rendition])
        else:
            size = context.ladder_kbps[rendition] * 1000.0 / 8.0 * context.chunk_duration_s
        seconds = size / (mpc.link.harmonic_mean() * ratio) + mpc.link.latency_s
        return seconds > context.buffer_s

    def refuses(self, context: DecisionContext, pick: int) -> bool:
        """Whether a learned pick above the MPC's choice is too risky at this buffer."""
        if context.buffer_s < self.up_below_s:
            return True
        return self.worst is not None and self.stalls(context, pick, self.worst)

    def floored(self, context: DecisionContext, pick: int) -> int:
        """`pick`, stepped down while its next chunk would stall at the floor quantile."""
        if self.floor is None:
            return pick
        while pick > 0 and self.stalls(context, pick, self.floor):
            pick -= 1
        return pick

    def decide(self, context: DecisionContext) -> int:
        if not self.learned.mpc.link:
            return context.last_rendition
        volatility = self.session_volatility()
        if volatility is None:
            if self.first_steady:
                return self.steady.decide(context)
            return self.learned.mpc.decide(context)
        if context.buffer_s < self.low_s:
            return self.learned.mpc.decide(context)
        if volatility > adaptive.VOLATILE_ABOVE:
            if context.buffer_s < self.low_learned_s:
                return self.learned.mpc.decide(context)
            x = features(self.learned.mpc, context)
            pick = choose(self.learned.weights, x)
            mpc_choice = x[:LEVELS].index(0.0)
            if pick > mpc_choice and self.refuses(context, pick):
                pick = mpc_choice
            return self.floored(context, pick)
        steady = self.steady.decide(context)
        return self.floored(context, steady) if self.floor_everywhere else steady


def main() -> None:
    variants_main(
        __doc__ or "",
        VariantAdaptiveAbr,
        anchors=["vodstack"],
        variants="adaptive:floor=none;adaptive",
        splits="train,synthetic,heldout",
    )


if __name__ == "__main__":
    main()
