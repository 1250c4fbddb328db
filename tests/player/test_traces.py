"""Trace reading and the link model a token bucket would use."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.player.fakes import make_trace, write_trace
from vodstack.player.traces import TraceError, TraceFamily, read_trace


def test_read_trace_round_trips(tmp_path: Path) -> None:
    trace = make_trace([1.0, 2.0, 0.5], name="x")
    loaded = read_trace(write_trace(tmp_path / "bus.oslo-report.log", trace))
    assert loaded.times_s == trace.times_s
    assert loaded.mbps == trace.mbps
    assert loaded.family is TraceFamily.HSDPA


def test_family_from_name() -> None:
    assert make_trace([1.0], name="trace_866_http---www.amazon.com").family is TraceFamily.FCC
    assert make_trace([1.0], name="metro.kalbakken-report.log").family is TraceFamily.HSDPA


def test_rate_holds_on_the_interval_ending_at_its_sample_and_wraps() -> None:
    trace = make_trace([1.0, 2.0, 3.0])  # (0,1] -> 1, (1,2] -> 2, (2,3] -> 3
    assert trace.rate_at(0.5) == 1.0
    assert trace.rate_at(1.5) == 2.0
    assert trace.rate_at(2.0) == 2.0
    assert trace.rate_at(3.5) == 1.0  # wrapped
    assert trace.mean_mbps == pytest.approx(2.0)


@pytest.mark.parametrize(
    "text",
    ["", "0 1\n", "0 1\n0 2\n", "0 1\n1 -2\n", "0 0\n1 0\n", "0 1\nnot a number\n"],
)
def test_bad_traces_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad"
    path.write_text(text)
    with pytest.raises(TraceError):
        read_trace(path)
