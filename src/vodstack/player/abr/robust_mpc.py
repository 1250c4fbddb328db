"""RobustMPC (Yin et al., "A Control-Theoretic Approach for Dynamic Adaptive Video Streaming over
HTTP", SIGCOMM 2015), exactly as Pensieve's evaluation runs it (`test/mpc.py`).

Throughput is predicted as the harmonic mean of the last 5 chunk throughputs, divided by
1 + the largest relative prediction error of the last 5 chunks. Every rendition sequence of the
next 5 chunks is played forward at that throughput and the first step of the best sequence (by
linear QoE, no value for the buffer left at the end) is taken.

The arithmetic is the reference's, expression for expression, because equal-scoring plans are
common (whenever no plan stalls, scores differ only by bitrate and switch sums) and which one wins
depends on the last bit of the sum:

- throughputs are in MB/s (`bytes / delay_ms / 1000`, the delay including the round trip);
- bitrates and switches are summed as whole kbps and divided by 1000 once per plan, where summing
  per-step Mbps values (0.3 + 0.75 + ...) rounds differently and breaks ties the other way;
- the reward is `bitrate_sum/1000 - 4.3*rebuffer - switches/1000`, and with `>=` over the
  lexicographic plan order the *later* of equal plans wins;
- the reference plans on the sizes of chunks `next + 1 .. next + 5` (its `last_index + position
  + 1` is one past the chunk about to be fetched). The default (`size_offset=0`) plans on the
  chunks actually fetched, as every reimplementation that fixes that slip does (and as the
  independent rerun of issue 21 evidently did: with it, the reference arithmetic raises
  RobustMPC's score, as reported there; with the slip kept it lowers it); `size_offset=1` is
  the published code to the letter.

`tests/player/test_robust_mpc_reference.py` replays traces through an independent transcription of
the reference loop and holds this class to its decisions.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar

import numpy as np

from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.planning import FloatArray, IntArray, sequences
from vodstack.player.abr.qoe import LinearQoE

#: Bytes per MB in the reference (`B_IN_MB`), and ms per s / k per unit (`M_IN_K`).
_B_IN_MB = 1000000.0
_M_IN_K = 1000.0


def reference_rewards(
    combos: IntArray,
    sizes: FloatArray,
    ladder_kbps: tuple[int, ...],
    last_rendition: int,
    buffer_s: float,
    mbytes_per_s: float,
    chunk_duration_s: float,
    qoe: LinearQoE,
) -> FloatArray:
    """Reward of every plan (rows of `combos`), in the reference's exact arithmetic.

    `sizes[k][q]` are the byte sizes of the k-th planned chunk; the loop body is `mpc.py`'s,
    vectorised elementwise (adding an exact 0.0 where the reference skips the addition).
    """
    n = combos.shape[0]
    ladder = np.array(ladder_kbps, dtype=np.int64)
    buffer = np.full(n, buffer_s, dtype=np.float64)
    rebuffer = np.zeros(n, dtype=np.float64)
    bitrate_sum = np.zeros(n, dtype=np.int64)
    smoothness = np.zeros(n, dtype=np.int64)
    last = np.full(n, ladder[last_rendition], dtype=np.int64)
    for step in range(combos.shape[1]):
        chosen = combos[:, step]
        download = (sizes[step][chosen] / _B_IN_MB) / mbytes_per_s
        starved = buffer < download
        rebuffer = rebuffer + np.where(starved, download - buffer, 0.0)
        buffer = np.where(starved, 0.0, buffer - download) + chunk_duration_s
        bitrate = ladder[chosen]
        bitrate_sum = bitrate_sum + bitrate
        smoothness = smoothness + np.abs(bitrate - last)
        last = bitrate
    # `smoothness_penalty * x` is exactly `x` at the reference's penalty of 1.
    return (
        (bitrate_sum / _M_IN_K)
        - (qoe.rebuffer_penalty * rebuffer)
        - qoe.smoothness_penalty * (smoothness / _M_IN_K)
    )


class RobustMpc(AbrAlgorithm):
    """Harmonic-mean predictor, max-error discount, exhaustive 5-chunk lookahead."""

    name: ClassVar[str] = "robustmpc"

    def __init__(
        self,
        horizon: int = 5,
        window: int = 5,
        qoe: LinearQoE | None = None,
        size_offset: int = 0,
    ) -> None:
        self.horizon = horizon
        self.size_offset = size_offset
        self._qoe = qoe or LinearQoE()
        #: Measured throughputs in MB/s, as the reference's `state[3]`.
        self._throughputs: deque[float] = deque(maxlen=window)
        self._errors: deque[float] = deque(maxlen=window)
        self._last_prediction: float | None = None

    def observe(self, observation: ChunkObservation) -> None:
        delay_ms = observation.duration_s * _M_IN_K
        measured = float(observation.size_bytes) / delay_ms / _M_IN_K
        if self._last_prediction is not None:
            self._errors.append(abs(self._last_prediction - measured) / measured)
        else:
            self._errors.append(0.0)
        self._throughputs.append(measured)

    def predict_mbytes_per_s(self) -> float:
        """Discounted harmonic mean in MB/s (and remember it to score its error)."""
        inverse_sum = 0.0
        for value in self._throughputs:
            inverse_sum += 1 / value
        harmonic = 1.0 / (inverse_sum / len(self._throughputs))
        self._last_prediction = harmonic
        return harmonic / (1 + max(self._errors))

    def predict_bps(self) -> float:
        """The same prediction in bytes per second."""
        return self.predict_mbytes_per_s() * _B_IN_MB

    def plan(self, context: DecisionContext, bytes_per_s: float) -> tuple[int, ...]:
        """The best rendition sequence for the next chunks (up to `horizon`) at that throughput."""
        return self._plan(context, bytes_per_s / _B_IN_MB)

    def _plan(self, context: DecisionContext, mbytes_per_s: float) -> tuple[int, ...]:
        length = max(1, min(self.horizon, context.chunks_left))
        levels = len(context.ladder_kbps)
        sizes = np.array(
            [
                [context.chunk_size(k + self.size_offset, q) for q in range(levels)]
                for k in range(length)
            ],
            dtype=np.float64,
        )
        combos = sequences(levels, length)
        rewards = reference_rewards(
            combos, sizes, context.ladder_kbps, context.last_rendition, context.buffer_s,
            mbytes_per_s, context.chunk_duration_s, self._qoe,
        )  # fmt: skip
        # The reference keeps the last of equal rewards (`>=` over lexicographic order).
        best = rewards.shape[0] - 1 - int(np.argmax(rewards[::-1]))
        return tuple(int(q) for q in combos[best])

    def decide(self, context: DecisionContext) -> int:
        if not self._throughputs:
            return context.last_rendition
        return self._plan(context, self.predict_mbytes_per_s())[0]
