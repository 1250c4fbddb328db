"""vodstack's ABR: model-predictive control over a volatility-aware set of throughput scenarios.

RobustMPC plans the next five chunks for one pessimistic throughput, the harmonic mean divided by
(1 + the worst recent error). That single number is too cautious on a steady link and not
cautious enough before a mobile link collapses. vodstack's algorithm changes four things:

1. **Link model.** A chunk's download time is `size / link throughput + request latency`, with
   the latency measured (time to first byte) and taken out of each throughput sample, so small
   chunks no longer look slow and the planner charges the round trip explicitly.
2. **Scenarios instead of one estimate.** The prediction is still the harmonic mean of the last
   five link throughputs, but it is multiplied by 20 equally likely error ratios: quantiles of
   `measured / predicted` learned from the training traces *for the current volatility band*
   (`error_model`). A steady link gets a tight set, a jittery one a wide set with real
   collapse scenarios.
3. **Expected QoE.** Every candidate plan is played forward under every scenario and scored by
   the mean linear QoE, so a plan is chosen for what it earns on average, with the stall penalty
   (4.3 per second) weighing each bad scenario as much as it would cost.
4. **Buffer has a value.** A plan that ends before the video does earns `1.0 * min(buffer, 15 s)`
   for the buffer it leaves, the insurance the next plan will draw on. Without it MPC spends its
   buffer within every horizon; with it the player holds roughly 15 s, enough to ride out most
   collapses on the mobile traces. Within the last five chunks the term vanishes, so the buffer
   is spent by the end of the video.

Candidate plans are the 498 monotone rendition sequences of the next five chunks (a plan that goes
down and back up within 20 s almost never wins under a switch penalty), so a decision costs about
a millisecond. Ties go to the first plan in lexicographic order, i.e. the more cautious one.
`web/abr.js` ports this file operation for operation; the parity test holds both to the same
decisions.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from vodstack.player.abr.error_model import ErrorModel
from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.planning import (
    FloatArray,
    Horizon,
    IntArray,
    monotone_sequences,
    rollout,
)
from vodstack.player.abr.qoe import LinearQoE
from vodstack.player.abr.terminal_value import TerminalValue, credit, terminal_features

#: Shortest transfer time credited to a chunk (guards against a latency estimate above the total).
_MIN_TRANSFER_S = 0.001


@dataclass(frozen=True)
class VodstackParams:
    """Tunables of vodstack's algorithm (tuned on the training traces; see docs/abr.md)."""

    horizon: int = 5
    window: int = 5
    buffer_value_per_s: float = 1.0
    buffer_value_cap_s: float = 15.0
    #: A learned value of the buffer a plan leaves (`terminal_value.py`), replacing the two
    #: constants above when set.
    terminal: TerminalValue | None = None
    errors: ErrorModel = field(default_factory=ErrorModel)
    qoe: LinearQoE = field(default_factory=LinearQoE)


class LinkEstimator:
    """Recent link throughputs (bytes/s, request latency excluded) and what they predict."""

    def __init__(self, window: int) -> None:
        self._samples: deque[float] = deque(maxlen=window)
        self.latency_s = 0.0

    def add(self, observation: ChunkObservation) -> None:
        """Record one download."""
        transfer = max(observation.duration_s - observation.latency_s, _MIN_TRANSFER_S)
        self._samples.append(observation.size_bytes / transfer)
        self.latency_s = observation.latency_s

    def __bool__(self) -> bool:
        return bool(self._samples)

    @property
    def samples(self) -> tuple[float, ...]:
        """The window, oldest first (bytes/s)."""
        return tuple(self._samples)

    def harmonic_mean(self) -> float:
        """The prediction: harmonic mean of the window."""
        inverse_sum = 0.0
        for sample in self._samples:
            inverse_sum += 1.0 / sample
        return len(self._samples) / inverse_sum

    def volatility(self) -> float:
        """Mean absolute deviation over mean of the window (infinite before two samples)."""
        count = len(self._samples)
        if count < 2:
            return float("inf")
        total = 0.0
        for sample in self._samples:
            total += sample
        mean = total / count
        deviation = 0.0
        for sample in self._samples:
            deviation += abs(sample - mean)
        return deviation / count / mean


class VodstackAbr(AbrAlgorithm):
    """Scenario MPC with a volatility-aware error model and a value for the buffer."""

    name: ClassVar[str] = "vodstack"

    def __init__(self, params: VodstackParams | None = None) -> None:
        self.params = params or VodstackParams()
        self._link = LinkEstimator(self.params.window)

    @property
    def link(self) -> LinkEstimator:
        return self._link

    def observe(self, observation: ChunkObservation) -> None:
        self._link.add(observation)

    def scenarios_bps(self) -> list[float]:
        """The throughputs (bytes/s) the next plan is scored under."""
        prediction = self._link.harmonic_mean()
        ratios = self.params.errors.ratios(self._link.volatility())
        return [prediction * ratio for ratio in ratios]

    def plan_scores(self, context: DecisionContext) -> tuple[IntArray, FloatArray]:
        """Every candidate plan and its QoE (plus buffer value) summed over all scenarios."""
        p = self.params
        horizon = Horizon.ahead(context, p.horizon)
        combos = monotone_sequences(horizon.levels, horizon.length)
        values_buffer = context.chunks_left > horizon.length
        coefficients = None
        if values_buffer and p.terminal is not None:
            coefficients = p.terminal.coefficients(
                terminal_features(
                    self._link.samples,
                    self._link.harmonic_mean(),
                    self._link.volatility(),
                    context,
                    horizon.length,
                )
            )
        total = np.zeros(combos.shape[0], dtype=np.float64)
        for bandwidth in self.scenarios_bps():
            played = rollout(
                horizon,
                context.buffer_s,
                context.last_rendition,
                bandwidth,
                self._link.latency_s,
                combos,
            )
            score = played.qoe(p.qoe)
            if coefficients is not None:
                score = score + credit(coefficients, played.end_buffer_s)
            elif values_buffer:
                kept = np.minimum(played.end_buffer_s, p.buffer_value_cap_s)
                score = score + p.buffer_value_per_s * kept
            total = total + score
        return combos, total

    def decide(self, context: DecisionContext) -> int:
        if not self._link:
            return context.last_rendition
        combos, scores = self.plan_scores(context)
        # argmax keeps the first of equal scores: the lexicographically lower, more cautious plan.
        return int(combos[int(np.argmax(scores)), 0])
