"""Issue 21, seventh round: a terminal value of buffer learned from the offline optimum.

The scenario MPC credits a plan that ends before the video with `1.0 * min(buffer, 15 s)`
whatever the link; `abr/terminal_value.py` replaces that with a curve fitted to the optimum's
value of the buffer in such a state (`training/terminal.py`; weights from `vodstack abr train
--terminal-out PATH`). Every variant starts from the committed default and changes:

- `adaptive:tv=PATH`: the volatile branch's MPC (the learned policy's input, its guard rail
  and the first three decisions) credits the buffer by the curve at `PATH`; `scale=S`
  multiplies the curve (1.0);
- `mpc=1`: the volatile branch plays the MPC's own choice (with the curve), under the stall
  guard, instead of the learned policy (whose inputs the curve shifts);
- `policy=PATH`: the learned branch runs the policy JSON at `PATH` (one retrained on top of
  the curve's MPC: `vodstack abr train --mpc-terminal PATH --out POLICY`);
- `start=0`: the first three decisions stay with the committed `vodstack` MPC;
- `steady=1`: the steady branch's cruise plan credits what it leaves by the curve too
  (instead of 0.7 per second up to 15 s).

Variants are separated by `;`, options within one by `,`; `vodstack` is played first (the
anchor of the better/worse counts), then `adaptive` (the committed default):

    nice -n 10 .venv/bin/python bench/abr_terminal.py --split-dir var/abr-split \
        --variants 'adaptive:tv=var/terminal.json;adaptive:tv=var/terminal.json,mpc=1' \
        --splits broadband,train,synthetic

Results: docs/abr.md ("Seventh round"), docs/benchmarks.md.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from abr_report import variants_main
from vodstack.player.abr.adaptive import VOLATILE_ABOVE, AdaptiveAbr
from vodstack.player.abr.cruise import (
    CRUISE_LONGEST,
    CRUISE_QUANTILE,
    CRUISE_RESERVE_S,
    two_segment_sequences,
)
from vodstack.player.abr.interface import ChunkObservation, DecisionContext
from vodstack.player.abr.planning import Horizon, rollout
from vodstack.player.abr.terminal_value import TerminalValue, credit, terminal_features
from vodstack.player.abr.vodstack import VodstackAbr, VodstackParams
from vodstack.player.abr.weights import PolicyWeights


def cruise_with_terminal(mpc: VodstackAbr, value: TerminalValue, context: DecisionContext) -> int:
    """`cruise.cruise`, crediting what a plan leaves by the learned curve."""
    p = mpc.params
    horizon = Horizon.ahead(context, CRUISE_LONGEST)
    combos = two_segment_sequences(horizon.levels, horizon.length)
    ratio = p.errors.ratios(mpc.link.volatility())[CRUISE_QUANTILE]
    played = rollout(
        horizon, max(context.buffer_s - CRUISE_RESERVE_S, 0.0), context.last_rendition,
        mpc.link.harmonic_mean() * ratio, mpc.link.latency_s, combos,
    )  # fmt: skip
    score = played.qoe(p.qoe)
    if context.chunks_left > horizon.length:
        link = mpc.link
        x = terminal_features(
            link.samples, link.harmonic_mean(), link.volatility(), context, horizon.length
        )
        score = score + credit(value.coefficients(x), played.end_buffer_s)
    return int(combos[int(np.argmax(score)), 0])


class TerminalVariantAbr(AdaptiveAbr):
    """`vodstack-adaptive` with the options of the module docstring."""

    def __init__(self, options: dict[str, str]) -> None:
        value = TerminalValue.load(Path(options["tv"]))
        self.value = replace(value, scale=float(options.get("scale", "1")))
        weights = None
        if "policy" in options:
            document = json.loads(Path(options["policy"]).read_text())
            weights = PolicyWeights.from_dict(document["weights"])
        super().__init__(weights, VodstackParams(terminal=self.value))
        self.own_mpc = options.get("mpc", "0") == "1"
        self.new_start = options.get("start", "1") == "1"
        self.steady_curve = options.get("steady", "0") == "1"
        self.committed_mpc = VodstackAbr()

    def observe(self, observation: ChunkObservation) -> None:
        super().observe(observation)
        self.committed_mpc.observe(observation)

    def decide(self, context: DecisionContext) -> int:
        if not self.learned.mpc.link:
            return context.last_rendition
        volatility = self.session_volatility()
        if volatility is None:
            mpc = self.learned.mpc if self.new_start else self.committed_mpc
            return mpc.decide(context)
        if volatility > VOLATILE_ABOVE:
            if self.own_mpc:
                pick = self.learned.mpc.decide(context)
            else:
                pick = self.learned.decide(context)
            while pick > 0 and self.stalls_in_worst_scenario(context, pick):
                pick -= 1
            return pick
        if self.steady_curve:
            return cruise_with_terminal(self.steady, self.value, context)
        return super().decide(context)


def main() -> None:
    variants_main(
        __doc__ or "",
        TerminalVariantAbr,
        anchors=["vodstack", "adaptive"],
        variants="adaptive:tv=var/terminal.json",
        splits="broadband,train,synthetic",
    )


if __name__ == "__main__":
    main()
