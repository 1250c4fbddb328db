"""RobustMPC (Yin et al., "A Control-Theoretic Approach for Dynamic Adaptive Video Streaming over
HTTP", SIGCOMM 2015), as implemented in Pensieve's evaluation.

Throughput is predicted as the harmonic mean of the last 5 chunk throughputs, divided by
1 + the largest relative prediction error of the last 5 chunks. Every rendition sequence of the
next 5 chunks is played forward at that throughput and the first step of the best sequence (by
linear QoE, no value for the buffer left at the end) is taken. Ties go to the later sequence in
lexicographic order, as in the reference code.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar

import numpy as np

from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.planning import Horizon, rollout, sequences
from vodstack.player.abr.qoe import LinearQoE


class RobustMpc(AbrAlgorithm):
    """Harmonic-mean predictor, max-error discount, exhaustive 5-chunk lookahead."""

    name: ClassVar[str] = "robustmpc"

    def __init__(self, horizon: int = 5, window: int = 5, qoe: LinearQoE | None = None) -> None:
        self.horizon = horizon
        self._qoe = qoe or LinearQoE()
        self._throughputs: deque[float] = deque(maxlen=window)
        self._errors: deque[float] = deque(maxlen=window)
        self._last_prediction: float | None = None

    def observe(self, observation: ChunkObservation) -> None:
        measured = observation.throughput_bps
        if self._last_prediction is not None:
            self._errors.append(abs(self._last_prediction - measured) / measured)
        else:
            self._errors.append(0.0)
        self._throughputs.append(measured)

    def predict_bps(self) -> float:
        """Discounted harmonic mean in bytes per second (and remember it to score its error)."""
        harmonic = len(self._throughputs) / sum(1.0 / v for v in self._throughputs)
        self._last_prediction = harmonic
        return harmonic / (1.0 + max(self._errors))

    def plan(self, context: DecisionContext, bytes_per_s: float) -> tuple[int, ...]:
        """The best rendition sequence for the next chunks (up to `horizon`) at that throughput."""
        horizon = Horizon.ahead(context, self.horizon)
        played = rollout(horizon, context.buffer_s, context.last_rendition, bytes_per_s)
        scores = played.qoe(self._qoe)
        # The reference keeps the last of equal scores (`>=` over lexicographic order).
        best = scores.shape[0] - 1 - int(np.argmax(scores[::-1]))
        return tuple(int(q) for q in sequences(horizon.levels, horizon.length)[best])

    def decide(self, context: DecisionContext) -> int:
        if not self._throughputs:
            return context.last_rendition
        return self.plan(context, self.predict_bps())[0]
