"""Broadband test-like pieces: Pensieve's FCC test-set filter applied to our own traces."""

from __future__ import annotations

from tests.player.fakes import make_trace
from vodstack.player.traces import TraceFamily
from vodstack.player.training.broadband import (
    MAX_MEAN_MBPS,
    MIN_MBPS,
    PIECE_S,
    broadband_pieces,
    cut,
    passes,
)


def test_a_piece_spans_the_duration_from_time_zero() -> None:
    trace = make_trace([1.0 + i / 100 for i in range(100)], step_s=5.0, name="trace_1")
    piece = cut(trace, 10, 50.0)
    assert piece is not None
    assert piece.times_s[0] == 0.0 and piece.times_s[-1] == 50.0
    assert piece.mbps == trace.mbps[10:21]
    assert cut(trace, 95, 50.0) is None  # runs off the end of the trace


def test_the_filter_drops_outages_and_fast_links() -> None:
    assert passes(make_trace([1.0, 0.5, 2.0]))
    assert not passes(make_trace([1.0, MIN_MBPS, 2.0]))  # an outage
    assert not passes(make_trace([MAX_MEAN_MBPS + 1.0] * 3))  # too fast on average


def test_pieces_come_from_broadband_traces_only_and_follow_the_seed() -> None:
    samples = int(PIECE_S / 5.0) * 3
    steady = make_trace([1.5, 2.0] * (samples // 2), step_s=5.0, name="trace_steady")
    outages = make_trace([1.5, 0.1] * (samples // 2), step_s=5.0, name="trace_outages")
    mobile = make_trace([1.5, 2.0] * samples * 5, step_s=1.0, name="bus.steady")
    pieces = broadband_pieces([steady, outages, mobile], count=5, seed=2)
    assert len(pieces) == 5
    for piece in pieces:
        assert piece.family is TraceFamily.FCC and piece.period_s >= PIECE_S
        assert set(piece.mbps) == {1.5, 2.0}  # never from the trace with outages or the mobile one
    assert len({p.name for p in pieces}) == 5
    assert pieces == broadband_pieces([steady, outages, mobile], count=5, seed=2)
    assert pieces != broadband_pieces([steady, outages, mobile], count=5, seed=3)


def test_too_few_passing_pieces_return_fewer_rather_than_hang() -> None:
    short = make_trace([1.0, 2.0], step_s=5.0, name="trace_short")
    assert broadband_pieces([short], count=3, seed=1) == []
    assert broadband_pieces([], count=3, seed=1) == []
