"""A learned value of the buffer a plan leaves: the MPC's terminal credit, taught by the optimum.

The scenario MPC (`vodstack.py`) credits a plan that ends before the video does with
`1.0 * min(buffer, 15 s)` whatever the link. On a steady broadband link a second of buffer beyond
a few is worth little (the optimum spends it on bitrate); before a mobile collapse it is worth
up to the 4.3 a stalled second costs. The optimum, which knows the trace's future, says what a
second of buffer at the end of the horizon is worth on average in each kind of state
(`training/terminal.py` labels it), and a small network fitted to that replaces the hand-set
credit:

    V(B) = sum_k c_k(x) * min(B, CAPS_S[k]),   c_k = max(0, network_k(x))

so V is zero at an empty buffer, never decreases and flattens out (a concave piecewise-linear
curve with knots at `CAPS_S`); the old credit is the special case of one coefficient. `x` is
what the MPC knows when it plans (`TERMINAL_FEATURES`): the buffer now, the link's harmonic
mean, the lowest of its last five throughputs, their volatility and the chunks left after the
horizon. The coefficients are computed once per decision with plain loops in a fixed order
(no transcendental functions), so a JavaScript port could reproduce them bit for bit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vodstack.player.abr.interface import DecisionContext
from vodstack.player.abr.planning import FloatArray
from vodstack.player.abr.weights import PolicyWeights

#: Knots of the value curve (seconds of buffer); the last bounds what any buffer is credited.
CAPS_S: tuple[float, ...] = (2.0, 4.0, 8.0, 12.0, 16.0, 20.0, 30.0, 40.0)
#: Chunks-left feature cap: the optimum is asked about at most this many chunks past the horizon.
LOOKAHEAD_CHUNKS = 16

TERMINAL_FEATURES: tuple[str, ...] = (
    "buffer_s",
    "harmonic_mbps",
    "min_mbps",
    "volatility",
    "chunks_after_horizon",
)


def terminal_features(
    samples_bps: tuple[float, ...],
    harmonic_bps: float,
    volatility: float,
    context: DecisionContext,
    horizon: int,
) -> list[float]:
    """The network's input for one decision (`TERMINAL_FEATURES`, in order)."""
    lowest = samples_bps[0]
    for sample in samples_bps:
        lowest = sample if sample < lowest else lowest
    after = context.chunks_left - horizon
    return [
        context.buffer_s,
        harmonic_bps * 8.0 / 1e6,
        lowest * 8.0 / 1e6,
        volatility if volatility < 1.0 else 1.0,
        float(after if after < LOOKAHEAD_CHUNKS else LOOKAHEAD_CHUNKS),
    ]


@dataclass(frozen=True)
class TerminalValue(PolicyWeights):
    """One hidden layer of ReLUs giving the value curve's coefficients (module docstring): the
    policy's network (abr/learned.py) with its outputs clipped at zero and scaled.

    Feature standardisation is folded into the first layer when the weights are exported;
    `scale` multiplies the whole curve (1.0 as trained).
    """

    scale: float = 1.0

    @classmethod
    def load(cls, path: Path) -> TerminalValue:
        """The weights of a document `vodstack abr train --terminal-out` wrote."""
        document = json.loads(path.read_text())
        return cls.from_dict(document["weights"])

    def coefficients(self, features: list[float]) -> list[float]:
        """The curve's slope increments, one per knot, summed left to right."""
        return [self.scale * total if total > 0.0 else 0.0 for total in self.logits(features)]


def credit(coefficients: list[float], end_buffer_s: FloatArray) -> FloatArray:
    """V(B) for every plan's end buffer, knot by knot in a fixed order."""
    total = np.zeros_like(end_buffer_s)
    for coefficient, cap in zip(coefficients, CAPS_S, strict=True):
        total = total + coefficient * np.minimum(end_buffer_s, cap)
    return total
