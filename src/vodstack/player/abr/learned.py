"""vodstack's learned ABR: the scenario MPC's verdicts, re-ranked by a policy that imitates the
offline optimum.

The scenario MPC (`vodstack.py`) knows what each rendition is worth under its
throughput scenarios, but it plans only five chunks ahead with a hand-set value for the buffer,
and it scores every state the same way whether the link is a steady DSL line or a train entering
a tunnel. The offline optimum knows what was actually best. A small network (one hidden layer of
ReLUs) is trained on what the optimum makes of each choice (imitation learning with DAgger, in
the spirit of Comyco; `player/training/imitation.py`): it predicts, for every rendition the MPC
finds plausible, how far the optimum's QoE after that choice falls short of the best choice, and
the rendition with the best prediction is taken. Its input is the standard ABR state plus the
MPC's value of each first step:

- how much worse (mean QoE over the five-chunk plans, from the 20 scenarios) the best plan
  starting with each rendition is than the best plan overall (6 values);
- the previous rendition (one-hot), the buffer, the harmonic-mean link throughput, the last five
  link throughputs (Mbps), their volatility, and the chunks left.

Decisions take the MPC's ~1 ms plus a few hundred multiply-adds. The weights live in
`web/abr-policy.json` (and, identical, `web/abr-policy.js` for the browser); the forward pass is
written as plain loops in a fixed order, with no transcendental functions, so the JavaScript port
(`web/abr.js`) computes bit-identical logits.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import ClassVar

import numpy as np

from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.vodstack import VodstackAbr, VodstackParams
from vodstack.player.abr.weights import PolicyWeights

#: Where the trained weights are committed (next to the JavaScript port that also loads them).
POLICY_PATH = Path(__file__).resolve().parents[1] / "web" / "abr-policy.json"

#: A first step this much (mean QoE per plan) below the best is reported as exactly this much:
#: beyond it the MPC's verdict is "hopeless" and the size of the gap carries no information.
REL_FLOOR = -10.0
#: Renditions whose best plan the MPC rates this much (mean QoE over its plan) below the best are
#: never chosen: the policy ranks the ones the MPC finds close; it does not overrule a clear
#: verdict.
PLAUSIBLE_GAP = 1.5
#: Above the MPC's choice the rail is tighter: the network's mistakes are costly in that direction
#: (a stall costs 4.3 per second, a rung too low far less). Chosen on the training split and the
#: synthetic traces among {0, 0.25, 0.5, 1.5} (docs/abr.md); training rolls out with 1.5.
PLAUSIBLE_UP_GAP = 0.25
#: Ladder rungs the policy ranks (the standard evaluation's ladder).
LEVELS = 6
#: Link throughput window shown to the policy (the MPC's window).
HISTORY = 5
#: Chunks-left feature cap (the session length of the standard evaluation).
CHUNKS_LEFT_CAP = 48.0

FEATURE_NAMES: tuple[str, ...] = (
    *(f"rel_value_{q}" for q in range(6)),
    *(f"last_is_{q}" for q in range(6)),
    "buffer_s",
    "harmonic_mbps",
    *(f"link_mbps_{k}" for k in range(HISTORY)),
    "volatility",
    "chunks_left",
)


@cache
def committed_policy() -> PolicyWeights:
    """The weights committed with the package."""
    data = json.loads(POLICY_PATH.read_text())
    return PolicyWeights.from_dict(data["weights"])


def first_step_values(mpc: VodstackAbr, context: DecisionContext) -> list[float]:
    """Mean QoE (over the scenarios) of the best plan starting with each rendition."""
    combos, totals = mpc.plan_scores(context)
    scenarios = float(len(mpc.scenarios_bps()))
    values: list[float] = []
    for q in range(len(context.ladder_kbps)):
        values.append(float(np.max(totals[combos[:, 0] == q])) / scenarios)
    return values


def features(mpc: VodstackAbr, context: DecisionContext) -> list[float]:
    """The policy's input for this decision (`FEATURE_NAMES`, in order).

    A ladder shorter than the six rungs the policy was trained on is padded with rungs valued at
    `REL_FLOOR`, which are never plausible and so never chosen.
    """
    values = first_step_values(mpc, context)
    top = max(values)
    rel = [max(v - top, REL_FLOOR) for v in values]
    rel += [REL_FLOOR] * (LEVELS - len(rel))
    last = [1.0 if q == context.last_rendition else 0.0 for q in range(LEVELS)]
    samples = list(mpc.link.samples)
    padded = [samples[0]] * (HISTORY - len(samples)) + samples[-HISTORY:]
    volatility = mpc.link.volatility()
    return [
        *rel,
        *last,
        context.buffer_s,
        mpc.link.harmonic_mean() * 8.0 / 1e6,
        *(s * 8.0 / 1e6 for s in padded),
        volatility if volatility < 1.0 else 1.0,
        min(float(context.chunks_left), CHUNKS_LEFT_CAP),
    ]


def argmax(values: list[float]) -> int:
    """Index of the first largest value."""
    best = 0
    for i in range(1, len(values)):
        if values[i] > values[best]:
            best = i
    return best


def choose(weights: PolicyWeights, x: list[float], up_gap: float = PLAUSIBLE_UP_GAP) -> int:
    """The plausible rendition with the best predicted value (the first best wins ties).

    Plausible: at or below the MPC's choice (relative value 0, always plausible) within
    `PLAUSIBLE_GAP` of it, above it within `up_gap`.
    """
    predicted = weights.logits(x)
    mpc_choice = x[:LEVELS].index(0.0)
    best = -1
    for q, value in enumerate(predicted):
        gap = PLAUSIBLE_GAP if q <= mpc_choice else up_gap
        if x[q] >= -gap and (best < 0 or value > predicted[best]):
            best = q
    return best


class LearnedAbr(AbrAlgorithm):
    """The scenario MPC's first-step values, ranked by a policy imitating the offline optimum."""

    name: ClassVar[str] = "vodstack-learned"

    def __init__(
        self, weights: PolicyWeights | None = None, params: VodstackParams | None = None
    ) -> None:
        self.weights = weights or committed_policy()
        self.mpc = VodstackAbr(params)

    def observe(self, observation: ChunkObservation) -> None:
        self.mpc.observe(observation)

    def decide(self, context: DecisionContext) -> int:
        if not self.mpc.link:
            return context.last_rendition
        if len(context.ladder_kbps) > LEVELS:
            return self.mpc.decide(context)  # the policy ranks at most six rungs
        return choose(self.weights, features(self.mpc, context))
