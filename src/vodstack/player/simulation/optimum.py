"""The offline optimum: the best rendition sequence for a trace when the future is known.

Dynamic programming over chunks. A state after n chunks is (previous rendition, session time,
buffer, QoE so far); each state branches into every rendition, played through the same link and
buffer model as the simulator (download times come from the trace's cumulative-bytes curve, which
equals the simulator's segment walk up to rounding). Continuous time and buffer make the exact
state space infinite, but most states are dominated by another (see `_prune`), and only the
non-dominated ones are expanded. Every surviving state is a real, playable schedule, so the result
is an achievable QoE: a lower bound on the true optimum that pruning never pushes far below it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vodstack.player.abr.qoe import LinearQoE
from vodstack.player.simulation.constants import (
    BUFFER_LIMIT_MS,
    BYTES_PER_S_PER_MBPS,
    PAYLOAD_SHARE,
    QOE_FIRST_CHUNK,
    QOE_LAST_CHUNK,
    RTT_MS,
    SESSION_CHUNKS,
    SLEEP_STEP_MS,
    START_RENDITION,
)
from vodstack.player.traces import NetworkTrace
from vodstack.player.video import Video

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Bitrates of the ladder, and so every quality term, are multiples of this.
_QUALITY_UNIT_MBPS = 0.05


class CumulativeLink:
    """The trace as cumulative payload bytes over time, inverted to give download end times."""

    def __init__(self, trace: NetworkTrace) -> None:
        times = np.array(trace.times_s, dtype=np.float64) - trace.times_s[0]
        rates = np.array(trace.mbps, dtype=np.float64) * BYTES_PER_S_PER_MBPS * PAYLOAD_SHARE
        self._times = times
        self._bytes = np.concatenate(([0.0], np.cumsum(rates[1:] * np.diff(times))))
        self._period = float(times[-1])
        self._period_bytes = float(self._bytes[-1])

    def bytes_at(self, t: FloatArray) -> FloatArray:
        """Payload bytes delivered from session start up to time `t`."""
        laps = np.floor(t / self._period)
        offset = t - laps * self._period
        return laps * self._period_bytes + np.interp(offset, self._times, self._bytes)

    def time_of(self, delivered: FloatArray) -> FloatArray:
        """Earliest time by which `delivered` payload bytes have arrived."""
        laps = np.floor(delivered / self._period_bytes)
        rest = delivered - laps * self._period_bytes
        index = np.clip(np.searchsorted(self._bytes, rest, side="left"), 1, len(self._bytes) - 1)
        before = self._bytes[index - 1]
        span = self._bytes[index] - before
        segment = self._times[index] - self._times[index - 1]
        within = np.where(span > 0, (rest - before) / np.where(span > 0, span, 1.0), 0.0)
        return laps * self._period + self._times[index - 1] + within * segment


@dataclass
class _States:
    rendition: IntArray
    #: Position on the trace (session time minus the round trips, as in the simulator).
    time_s: FloatArray
    buffer_s: FloatArray
    qoe: FloatArray
    #: QoE so far without its stall term: bitrates minus switches (multiples of 50 kbps).
    quality: FloatArray
    #: Index of the state one chunk earlier that this one extends.
    parent: IntArray

    def take(self, keep: IntArray) -> _States:
        return _States(
            self.rendition[keep],
            self.time_s[keep],
            self.buffer_s[keep],
            self.qoe[keep],
            self.quality[keep],
            self.parent[keep],
        )


@dataclass(frozen=True)
class OptimumResult:
    """The best schedule found and its QoE per chunk over the scored chunks."""

    trace_name: str
    qoe_per_chunk: float
    #: The rendition of every chunk of the best schedule.
    renditions: tuple[int, ...]


def _step(
    states: _States,
    link: CumulativeLink,
    sizes: tuple[int, ...],
    ladder: FloatArray,
    qoe: LinearQoE,
    chunk_s: float,
) -> _States:
    """Every state followed by every rendition for one chunk."""
    levels = len(sizes)
    n = states.time_s.shape[0]
    rendition = np.tile(np.arange(levels, dtype=np.int64), n)
    time_s = np.repeat(states.time_s, levels)
    buffer_s = np.repeat(states.buffer_s, levels)
    size = np.array(sizes, dtype=np.float64)[rendition]
    end = link.time_of(link.bytes_at(time_s) + size)
    # As in the reference, the round trip delays the chunk but does not move the trace position.
    delay = end - time_s + RTT_MS / 1000.0
    rebuffer = np.maximum(delay - buffer_s, 0.0)
    buffer_s = np.maximum(buffer_s - delay, 0.0) + chunk_s
    limit = BUFFER_LIMIT_MS / 1000.0
    step = SLEEP_STEP_MS / 1000.0
    sleep = np.where(buffer_s > limit, np.ceil((buffer_s - limit) / step) * step, 0.0)
    bitrate = ladder[rendition]
    switch = np.abs(bitrate - np.repeat(ladder[states.rendition], levels))
    quality = bitrate - qoe.smoothness_penalty * switch
    return _States(
        rendition,
        end + sleep,
        buffer_s - sleep,
        np.repeat(states.qoe, levels) + quality - qoe.rebuffer_penalty * rebuffer,
        np.repeat(states.quality, levels) + quality,
        np.repeat(np.arange(n, dtype=np.int64), levels),
    )


def _front(states: _States, group: IntArray, better_first: FloatArray) -> _States:
    """Within each group, keep the states whose QoE beats every state ranked before them.

    `better_first` ranks states inside a group (ascending = more favourable: earlier or with a
    later playback deadline); a state survives only if no better-ranked state has a QoE at least
    as high.
    """
    order = np.lexsort((-states.qoe, better_first, group))
    sorted_group = group[order]
    qoe = states.qoe[order]
    starts = np.concatenate(([True], sorted_group[1:] != sorted_group[:-1]))
    # A running maximum that restarts per group: lift each group above all earlier ones.
    index = np.cumsum(starts) - 1
    lift = (float(np.ptp(qoe)) + 1.0) * index
    running = np.maximum.accumulate(qoe + lift) - lift
    best_before = np.concatenate(([-np.inf], running[:-1]))
    keep = starts | (qoe > best_before + 1e-6)
    return states.take(order[keep])


def _prune(states: _States, tolerance_mbps: float) -> _States:
    """Drop states that another state of the same rendition dominates.

    State A dominates B when it is no later, its QoE so far is no lower, and its quality term
    (QoE without stalls) is no lower. Then either A's playback deadline is no earlier than B's, so
    A can replay B's choices with every download starting no later, or it is earlier and A's QoE
    lead already exceeds what B's extra buffer could ever save (`rebuffer_penalty` per second).
    Quality terms are multiples of 50 kbps, so the first pass groups by them exactly. The second
    pass also lets A win with a quality term up to `tolerance_mbps` lower, which bounds what it can
    lose; on the training traces it changes no result at 0.5 and cuts the state count tenfold.
    """
    levels = int(states.rendition.max()) + 1
    units = np.round(states.quality / _QUALITY_UNIT_MBPS).astype(np.int64)
    units -= units.min()
    states = _front(states, units * levels + states.rendition, states.time_s)
    units = np.round(states.quality / _QUALITY_UNIT_MBPS).astype(np.int64)
    units -= units.min()
    coarse = units // max(1, round(tolerance_mbps / _QUALITY_UNIT_MBPS))
    return _front(states, coarse * levels + states.rendition, states.time_s)


def offline_optimum(
    trace: NetworkTrace,
    video: Video,
    chunk_count: int = SESSION_CHUNKS,
    qoe: LinearQoE | None = None,
    tolerance_mbps: float = 0.5,
) -> OptimumResult:
    """Best QoE per chunk (chunks 1..47) any ABR could reach on `trace` knowing its future."""
    metric = qoe or LinearQoE()
    link = CumulativeLink(trace)
    ladder = np.array(video.ladder_mbps, dtype=np.float64)
    start = _States(
        rendition=np.array([START_RENDITION], dtype=np.int64),
        time_s=np.zeros(1),
        buffer_s=np.zeros(1),
        qoe=np.zeros(1),
        quality=np.zeros(1),
        parent=np.zeros(1, dtype=np.int64),
    )
    # The start-up chunk's rendition is fixed; its QoE is not scored.
    states = _step(start, link, video.chunk_sizes(0), ladder, metric, video.chunk_duration_s)
    states = states.take(np.array([START_RENDITION]))
    states.qoe[:] = 0.0
    states.quality[:] = 0.0
    history = _search([states], link, video, 1, chunk_count, metric, tolerance_mbps)
    best = int(np.argmax(history[-1].qoe))
    scored = min(QOE_LAST_CHUNK, chunk_count - 1) - QOE_FIRST_CHUNK + 1
    return OptimumResult(
        trace_name=trace.name,
        qoe_per_chunk=float(history[-1].qoe[best]) / scored,
        renditions=_backtrack(history, best),
    )


def _search(
    history: list[_States],
    link: CumulativeLink,
    video: Video,
    first: int,
    chunk_count: int,
    metric: LinearQoE,
    tolerance_mbps: float,
) -> list[_States]:
    """Extend `history` (its last entry: the states before chunk `first`) to the last chunk."""
    ladder = np.array(video.ladder_mbps, dtype=np.float64)
    states = history[-1]
    for index in range(first, chunk_count):
        states = _step(
            states, link, video.chunk_sizes(index), ladder, metric, video.chunk_duration_s
        )
        states = _prune(states, tolerance_mbps)
        history.append(states)
    return history


def first_step_values(
    trace: NetworkTrace,
    video: Video,
    chunk_index: int,
    last_rendition: int,
    position_s: float,
    buffer_s: float,
    renditions: list[int],
    chunk_count: int = SESSION_CHUNKS,
    qoe: LinearQoE | None = None,
    tolerance_mbps: float = 0.5,
) -> list[float]:
    """Best QoE of chunks `chunk_index..chunk_count-1` from a state a session reached, for each
    of `renditions` as the next chunk's (the future known from then on).

    `position_s` is the trace position (session time minus the round trips, as the simulator's
    link keeps it). This is the teacher of the learned policy (`player/training`): what each
    choice would be worth from the states the student visits, not only from the start.
    """
    metric = qoe or LinearQoE()
    start = _States(
        rendition=np.array([last_rendition], dtype=np.int64),
        time_s=np.array([position_s]),
        buffer_s=np.array([buffer_s]),
        qoe=np.zeros(1),
        quality=np.zeros(1),
        parent=np.zeros(1, dtype=np.int64),
    )
    link = CumulativeLink(trace)
    ladder = np.array(video.ladder_mbps, dtype=np.float64)
    first = _step(
        start, link, video.chunk_sizes(chunk_index), ladder, metric, video.chunk_duration_s
    )
    values = []
    for rendition in renditions:
        branch = first.take(np.array([rendition]))
        history = _search(
            [branch], link, video, chunk_index + 1, chunk_count, metric, tolerance_mbps
        )
        values.append(float(np.max(history[-1].qoe)))
    return values


def buffer_values(
    trace: NetworkTrace,
    video: Video,
    chunk_index: int,
    last_rendition: int,
    position_s: float,
    buffers_s: list[float],
    chunk_count: int = SESSION_CHUNKS,
    qoe: LinearQoE | None = None,
    tolerance_mbps: float = 0.5,
) -> list[float]:
    """Best QoE of chunks `chunk_index..chunk_count-1` from one trace position and previous
    rendition, for each of `buffers_s` as the buffer there (the future known from then on).

    The teacher of the MPC's terminal value (`training/terminal.py`): how much a second of buffer
    at the end of a plan is worth to a player that then plays as well as possible. Each buffer
    is searched on its own: in one search the fuller states would prune the emptier ones.
    """
    metric = qoe or LinearQoE()
    link = CumulativeLink(trace)
    values = []
    for buffer_s in buffers_s:
        start = _States(
            rendition=np.array([last_rendition], dtype=np.int64),
            time_s=np.array([position_s]),
            buffer_s=np.array([buffer_s]),
            qoe=np.zeros(1),
            quality=np.zeros(1),
            parent=np.zeros(1, dtype=np.int64),
        )
        history = _search([start], link, video, chunk_index, chunk_count, metric, tolerance_mbps)
        values.append(float(np.max(history[-1].qoe)))
    return values


def _backtrack(history: list[_States], best: int) -> tuple[int, ...]:
    """The renditions leading to state `best` of the last step."""
    renditions: list[int] = []
    index = best
    for states in reversed(history):
        renditions.append(int(states.rendition[index]))
        index = int(states.parent[index])
    return tuple(reversed(renditions))
