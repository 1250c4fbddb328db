"""The simulator follows Pensieve's standard evaluation and conserves what it should."""

from __future__ import annotations

import pytest

from tests.player.fakes import make_trace
from vodstack.player.abr import registry
from vodstack.player.simulation.constants import BUFFER_LIMIT_MS, RTT_MS
from vodstack.player.simulation.link import TraceLink
from vodstack.player.simulation.replay import ScheduleReplay
from vodstack.player.simulation.session import simulate_session
from vodstack.player.video import Video


def test_download_time_matches_the_link_model() -> None:
    link = TraceLink(make_trace([8.0] * 10))  # 8 Mbps = 1e6 B/s, 0.95e6 B/s payload
    assert link.download(950_000) == pytest.approx(1000.0 + RTT_MS)
    assert link.position_s == pytest.approx(1.0)  # the round trip does not move the trace


def test_download_spans_segments_and_wraps_at_trace_end() -> None:
    link = TraceLink(make_trace([8.0, 0.0, 8.0]))  # 3 s trace: fast, dead, fast
    # 0.95e6 B in s 0..1, nothing in 1..2, then 2..3, then wraps to 0..1 again.
    assert link.download(2_375_000) == pytest.approx(3500.0 + RTT_MS)
    assert link.position_s == pytest.approx(0.5)
    assert link.delivered_bytes == 2_375_000


@pytest.mark.parametrize("algorithm", registry.names())
def test_bytes_downloaded_equal_chunk_sizes_and_buffer_stays_sane(
    algorithm: str, video: Video
) -> None:
    trace = make_trace([0.3, 3.0, 1.2, 0.1, 5.0, 0.8, 2.0] * 6, step_s=2.0)  # 84 s, wraps
    session = simulate_session(trace, video, registry.create(algorithm))
    sizes = [video.sizes[c.rendition][c.index] for c in session.chunks]
    assert [c.size_bytes for c in session.chunks] == sizes
    assert len(session.chunks) == 48
    assert all(0.0 <= c.buffer_s <= BUFFER_LIMIT_MS / 1000 for c in session.chunks)
    assert all(c.rebuffer_s >= 0 for c in session.chunks)
    assert session.chunks[-1].start_s > trace.period_s  # the session outlived the trace


def test_conservation_against_a_fresh_link(video: Video) -> None:
    trace = make_trace([0.7, 2.5, 1.1, 4.0], step_s=3.0)
    session = simulate_session(trace, video, registry.create("vodstack"))
    link = TraceLink(trace)
    for chunk in session.chunks:
        assert link.download(chunk.size_bytes) / 1000.0 == pytest.approx(chunk.download_s)
        link.idle_for_buffer(0.0, 1.0)
    assert link.delivered_bytes == sum(c.size_bytes for c in session.chunks)


def test_first_chunk_is_fixed_and_its_download_is_a_stall(video: Video) -> None:
    session = simulate_session(make_trace([2.0] * 50), video, ScheduleReplay([3] * 48))
    first = session.chunks[0]
    assert first.rendition == 1
    assert first.rebuffer_s == pytest.approx(first.download_s)
    assert first.qoe == pytest.approx(0.75 - 4.3 * first.rebuffer_s)
    assert session.chunks[1].qoe == pytest.approx(1.85 - 4.3 * session.chunks[1].rebuffer_s - 1.1)


def test_player_idles_above_the_buffer_limit(video: Video) -> None:
    session = simulate_session(make_trace([100.0] * 50), video, ScheduleReplay([0] * 48))
    slept = [c for c in session.chunks if c.sleep_s > 0]
    assert slept, "a fast link must fill the 60 s buffer"
    for chunk in slept:
        assert chunk.sleep_s % 0.5 == pytest.approx(0.0, abs=1e-9)
        assert chunk.buffer_s <= 60.0
    assert session.rebuffer_s == 0.0


def test_qoe_totals_follow_the_linear_metric(video: Video) -> None:
    session = simulate_session(make_trace([1.5, 0.4, 3.0] * 10), video, registry.create("bba"))
    scored = session.chunks[1:48]
    assert session.qoe_per_chunk == pytest.approx(sum(c.qoe for c in scored) / 47)
    expected = [
        c.bitrate_mbps - 4.3 * c.rebuffer_s - abs(c.bitrate_mbps - p.bitrate_mbps)
        for p, c in zip(session.chunks, session.chunks[1:], strict=False)
    ]
    assert [c.qoe for c in session.chunks[1:]] == pytest.approx(expected)
