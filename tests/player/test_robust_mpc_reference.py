"""RobustMPC makes the reference implementation's decisions, tie for tie.

The expected decisions come from an independent, literal transcription of Pensieve's test loop
(`test/fixed_env.py` streaming the video, `test/mpc.py` choosing): plain Python loops over all
6^5 combinations in `itertools.product` order, the reward summed in whole kbps, `>=` so the later
of equal rewards wins, chunk sizes read at `last_index + position + 1` (or, for the default
`RobustMpc`, `+ 0`: the chunks actually fetched), and the trace walked in milliseconds. It
shares no code with `vodstack.player.abr` or the simulator; vodstack's RobustMPC then plays the
same traces in vodstack's simulator and must pick the same rendition every time.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from tests.player.fakes import make_trace, make_video
from vodstack.player.abr.robust_mpc import RobustMpc
from vodstack.player.simulation.session import simulate_session
from vodstack.player.traces import NetworkTrace, read_trace
from vodstack.player.video import Video, read_video_sizes

VIDEO_BIT_RATE = [300, 750, 1200, 1850, 2850, 4300]
TOTAL_VIDEO_CHUNKS = 48
CHUNK_TIL_VIDEO_END_CAP = 48.0
MPC_FUTURE_CHUNK_COUNT = 5
REBUF_PENALTY = 4.3
M_IN_K = 1000.0
DEFAULT_QUALITY = 1
COMBOS = list(itertools.product([0, 1, 2, 3, 4, 5], repeat=5))


class ReferenceEnv:
    """`fixed_env.Environment` for one trace (buffer and delays in ms, as the reference)."""

    def __init__(self, times: list[float], bandwidths: list[float], sizes: list[list[int]]):
        self.times, self.bws, self.sizes = times, bandwidths, sizes
        self.counter = 0
        self.buffer = 0.0
        self.ptr = 1
        self.last_time = times[0]

    def _step_pointer(self) -> None:
        self.last_time = self.times[self.ptr]
        self.ptr += 1
        if self.ptr >= len(self.bws):
            self.ptr = 1
            self.last_time = 0

    def get_video_chunk(self, quality: int) -> tuple[float, float, float, int]:
        size = self.sizes[quality][self.counter]
        delay = 0.0
        sent = 0.0
        while True:
            throughput = self.bws[self.ptr] * 1000000.0 / 8.0
            duration = self.times[self.ptr] - self.last_time
            payload = throughput * duration * 0.95
            if sent + payload > size:
                fractional = (size - sent) / throughput / 0.95
                delay += fractional
                self.last_time += fractional
                break
            sent += payload
            delay += duration
            self._step_pointer()
        delay *= 1000.0
        delay += 80
        self.buffer = max(self.buffer - delay, 0.0)
        self.buffer += 4000.0
        if self.buffer > 60000.0:
            sleep = math.ceil((self.buffer - 60000.0) / 500.0) * 500.0
            self.buffer -= sleep
            while True:
                duration = self.times[self.ptr] - self.last_time
                if duration > sleep / 1000.0:
                    self.last_time += sleep / 1000.0
                    break
                sleep -= duration * 1000.0
                self._step_pointer()
        self.counter += 1
        return delay, self.buffer / 1000.0, size, TOTAL_VIDEO_CHUNKS - self.counter


def reference_decisions(trace: NetworkTrace, video: Video, size_offset: int) -> list[int]:
    """The renditions `mpc.py` picks for chunks 1..47 of one session.

    `size_offset=1` is the published `index = last_index + position + 1`; 0 reads the sizes of
    the chunks actually fetched (the slip fixed, nothing else changed).
    """
    sizes = [list(s) for s in video.sizes]

    def chunk_size(quality: int, index: int) -> int:
        return 0 if index < 0 or index > 48 else sizes[quality][index]

    env = ReferenceEnv(list(trace.times_s), list(trace.mbps), sizes)
    bandwidths: list[float] = []
    past_errors: list[float] = []
    past_estimates: list[float] = []
    bit_rate = DEFAULT_QUALITY
    decisions: list[int] = []
    while True:
        delay, buffer_size, chunk_bytes, remain = env.get_video_chunk(bit_rate)
        if remain == 0:
            return decisions
        bandwidths.append(float(chunk_bytes) / float(delay) / M_IN_K)
        error = 0.0
        if past_estimates:
            error = abs(past_estimates[-1] - bandwidths[-1]) / float(bandwidths[-1])
        past_errors.append(error)
        bandwidth_sum = 0.0
        recent = bandwidths[-5:]
        for value in recent:
            bandwidth_sum += 1 / float(value)
        harmonic = 1.0 / (bandwidth_sum / len(recent))
        max_error = float(max(past_errors[-5:]))
        future_bandwidth = harmonic / (1 + max_error)
        past_estimates.append(harmonic)
        last_index = int(CHUNK_TIL_VIDEO_END_CAP - remain)
        future_length = MPC_FUTURE_CHUNK_COUNT
        if TOTAL_VIDEO_CHUNKS - last_index < 5:
            future_length = TOTAL_VIDEO_CHUNKS - last_index
        max_reward = -100000000.0
        send = 0
        for full_combo in COMBOS:
            combo = full_combo[0:future_length]
            rebuffer = 0.0
            buffer = buffer_size
            bitrate_sum = 0
            smoothness = 0
            last_quality = int(bit_rate)
            for position in range(len(combo)):
                quality = combo[position]
                index = last_index + position + size_offset
                download = (chunk_size(quality, index) / 1000000.0) / future_bandwidth
                if buffer < download:
                    rebuffer += download - buffer
                    buffer = 0
                else:
                    buffer -= download
                buffer += 4
                bitrate_sum += VIDEO_BIT_RATE[quality]
                smoothness += abs(VIDEO_BIT_RATE[quality] - VIDEO_BIT_RATE[last_quality])
                last_quality = quality
            reward = (bitrate_sum / 1000.0) - (REBUF_PENALTY * rebuffer) - (smoothness / 1000.0)
            if reward >= max_reward:
                max_reward = reward
                send = combo[0]
        bit_rate = send
        decisions.append(bit_rate)


def vodstack_decisions(trace: NetworkTrace, video: Video, size_offset: int) -> list[int]:
    session = simulate_session(trace, video, RobustMpc(size_offset=size_offset))
    return [c.rendition for c in session.chunks[1:]]


SYNTHETIC = [
    make_trace([0.6, 2.5, 0.2, 3.5, 1.0, 0.05, 4.0, 1.5], step_s=3.0, name="jumpy"),
    make_trace([1.2] * 20, name="flat"),
    make_trace([9.0, 8.5, 9.5], step_s=2.0, name="fast"),
]


@pytest.mark.parametrize("size_offset", [0, 1])
@pytest.mark.parametrize("trace", SYNTHETIC, ids=lambda t: t.name)
def test_same_decisions_as_the_reference_on_synthetic_traces(
    trace: NetworkTrace, size_offset: int
) -> None:
    video = make_video()
    expected = reference_decisions(trace, video, size_offset)
    assert vodstack_decisions(trace, video, size_offset) == expected


# Both families. On each of these, summing per-step Mbps instead of whole kbps changes 8 to 20
# decisions (ties broken the other way, then the sessions diverge).
REAL = [
    "bus.ljansbakken-oslo-report.2010-09-29_1823CEST.log",
    "car.snaroya-smestad-report.2011-02-14_2139CET.log",
    "metro.kalbakken-jernbanetorget-report.2010-11-11_1012CET.log",
    "trace_797466_http---www.amazon.com",
]


@pytest.mark.parametrize("size_offset", [0, 1])
@pytest.mark.parametrize("name", REAL)
def test_same_decisions_as_the_reference_on_real_traces(
    abr_data: Path, name: str, size_offset: int
) -> None:
    path = abr_data / "traces-train" / name
    if not path.is_file():
        pytest.skip(f"{name} is not in the shared training set")
    trace = read_trace(path)
    video = read_video_sizes(abr_data / "video_sizes")
    expected = reference_decisions(trace, video, size_offset)
    assert vodstack_decisions(trace, video, size_offset) == expected


def test_the_default_plans_on_the_chunks_it_fetches() -> None:
    assert RobustMpc().size_offset == 0
