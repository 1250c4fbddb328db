"""Model-predictive planning: score every rendition sequence over a short horizon.

Given the buffer, the previous rendition, the upcoming chunk sizes and one or more assumed link
throughputs, every sequence of renditions for the next `h` chunks is played forward through the
same buffer model the simulator uses, and scored with the linear QoE. Sequences are enumerated
once per (ladder size, horizon) and evaluated as numpy arrays, so a full 6^5 search takes about a
millisecond.

Every array operation is elementwise and applied in a fixed order (no reductions that numpy might
reorder), so the JavaScript port that loops over the same sequences computes bit-identical scores.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from vodstack.player.abr.interface import DecisionContext
from vodstack.player.abr.qoe import LinearQoE

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@cache
def sequences(levels: int, horizon: int) -> IntArray:
    """Every rendition sequence of length `horizon`, in lexicographic order, shape (levels^h, h)."""
    combos = list(itertools.product(range(levels), repeat=horizon))
    return np.array(combos, dtype=np.int64).reshape(len(combos), horizon)


def is_monotone(sequence: tuple[int, ...]) -> bool:
    """True if the sequence never goes down or never goes up."""
    steps = [b - a for a, b in itertools.pairwise(sequence)]
    return all(d >= 0 for d in steps) or all(d <= 0 for d in steps)


@cache
def monotone_sequences(levels: int, horizon: int) -> IntArray:
    """The sequences that only climb or only descend, in lexicographic order.

    With a switch penalty, a plan that goes down and up again within 20 s is practically never
    best, and dropping those cuts 6^5 = 7776 candidates to 498.
    """
    combos = [c for c in itertools.product(range(levels), repeat=horizon) if is_monotone(c)]
    return np.array(combos, dtype=np.int64).reshape(len(combos), horizon)


@dataclass(frozen=True)
class Horizon:
    """The chunks a plan covers: their sizes per rendition and the ladder in Mbps."""

    sizes: FloatArray  # shape (h, levels), bytes
    bitrates_mbps: FloatArray  # shape (levels,)
    chunk_duration_s: float

    @classmethod
    def ahead(cls, context: DecisionContext, length: int) -> Horizon:
        """The next `length` chunks (fewer near the end of the video)."""
        h = max(1, min(length, context.chunks_left))
        levels = len(context.ladder_kbps)
        sizes = [[context.chunk_size(k, q) for q in range(levels)] for k in range(h)]
        return cls(
            sizes=np.array(sizes, dtype=np.float64),
            bitrates_mbps=np.array([k / 1000.0 for k in context.ladder_kbps], dtype=np.float64),
            chunk_duration_s=context.chunk_duration_s,
        )

    @property
    def length(self) -> int:
        return int(self.sizes.shape[0])

    @property
    def levels(self) -> int:
        return int(self.sizes.shape[1])


@dataclass(frozen=True)
class Rollout:
    """Outcome of playing every sequence forward under one throughput assumption."""

    bitrate_sum: FloatArray
    smoothness_sum: FloatArray
    rebuffer_s: FloatArray
    end_buffer_s: FloatArray

    def qoe(self, metric: LinearQoE) -> FloatArray:
        """Linear QoE of each sequence."""
        return (
            self.bitrate_sum
            - metric.rebuffer_penalty * self.rebuffer_s
            - metric.smoothness_penalty * self.smoothness_sum
        )


def rollout(
    horizon: Horizon,
    buffer_s: float,
    last_rendition: int,
    bytes_per_s: float,
    latency_s: float = 0.0,
    combos: IntArray | None = None,
) -> Rollout:
    """Play every sequence (default: all of them) forward at a constant throughput.

    Each chunk takes `size / bytes_per_s + latency_s` seconds to arrive.
    """
    if combos is None:
        combos = sequences(horizon.levels, horizon.length)
    n = combos.shape[0]
    buffer = np.full(n, buffer_s, dtype=np.float64)
    rebuffer = np.zeros(n, dtype=np.float64)
    bitrate_sum = np.zeros(n, dtype=np.float64)
    smoothness = np.zeros(n, dtype=np.float64)
    previous = np.full(n, horizon.bitrates_mbps[last_rendition], dtype=np.float64)
    for step in range(horizon.length):
        chosen = combos[:, step]
        download = horizon.sizes[step][chosen] / bytes_per_s + latency_s
        rebuffer = rebuffer + np.maximum(download - buffer, 0.0)
        buffer = np.maximum(buffer - download, 0.0) + horizon.chunk_duration_s
        bitrate = horizon.bitrates_mbps[chosen]
        bitrate_sum = bitrate_sum + bitrate
        smoothness = smoothness + np.abs(bitrate - previous)
        previous = bitrate
    return Rollout(bitrate_sum, smoothness, rebuffer, buffer)
