"""The offline optimum: achievable, and no worse than any online algorithm or brute force."""

from __future__ import annotations

import itertools

import pytest

from tests.player.fakes import make_trace
from vodstack.player.abr import registry
from vodstack.player.simulation.optimum import offline_optimum
from vodstack.player.simulation.replay import ScheduleReplay
from vodstack.player.simulation.session import simulate_session
from vodstack.player.traces import NetworkTrace
from vodstack.player.video import Video

TRACES = [
    make_trace([0.6, 2.5, 0.2, 3.5, 1.0, 0.05, 4.0, 1.5], step_s=3.0, name="jumpy"),
    make_trace([1.2] * 20, name="flat"),
    make_trace([0.25, 0.4, 0.3], step_s=5.0, name="starved"),
]


@pytest.mark.parametrize("trace", TRACES, ids=lambda t: t.name)
def test_optimum_is_playable_and_beats_every_algorithm(trace: NetworkTrace, video: Video) -> None:
    best = offline_optimum(trace, video)
    replayed = simulate_session(trace, video, ScheduleReplay(best.renditions))
    assert replayed.qoe_per_chunk == pytest.approx(best.qoe_per_chunk, abs=1e-9)
    assert best.renditions[0] == 1
    for name in registry.names():
        online = simulate_session(trace, video, registry.create(name))
        assert best.qoe_per_chunk >= online.qoe_per_chunk - 1e-9, name


def test_optimum_matches_brute_force_on_a_short_video() -> None:
    # 7 chunks, 3 renditions: 3^6 schedules after the fixed first chunk.
    video = Video(
        ladder_kbps=(300, 750, 1200),
        sizes=((150_000,) * 7, (375_000,) * 7, (600_000,) * 7),
    )
    trace = make_trace([0.9, 2.0, 0.3, 1.5, 0.6], step_s=2.0)
    brute = max(
        sum(c.qoe for c in simulate_session(trace, video, ScheduleReplay((1, *tail)), 7).chunks[1:])
        for tail in itertools.product(range(3), repeat=6)
    )
    best = offline_optimum(trace, video, chunk_count=7)
    assert best.qoe_per_chunk * 6 == pytest.approx(brute, abs=1e-9)
