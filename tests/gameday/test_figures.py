"""The game day's arithmetic: SLO clauses, figures per group, Kong's questions, and gateway
counters summed over processes that come and go behind one port."""

from __future__ import annotations

from pathlib import Path

import pytest

from vodstack.gameday.plan import GamedayPlan, PlanError, parse_slo
from vodstack.gameday.record import Recorder, SessionSample, StartSample, route_of
from vodstack.gameday.scrape import GatewayCounters
from vodstack.gameday.summary import percentile, summarize


def plan(chaos: tuple[str, ...] = ()) -> GamedayPlan:
    return GamedayPlan(viewers=4, duration_s=100, chaos=chaos, out_dir=Path("out"))


def test_slo_clauses_parse_and_unknown_names_are_refused() -> None:
    objectives = parse_slo("failed_starts<=0, start_ratio>=0.95")
    assert [str(o) for o in objectives] == ["failed_starts <= 0", "start_ratio >= 0.95"]
    assert objectives[0].met(0) and not objectives[0].met(1)
    assert objectives[1].met(0.96) and not objectives[1].met(0.9)
    with pytest.raises(PlanError, match="unknown SLO metric 'nope'"):
        parse_slo("nope<=1")
    with pytest.raises(PlanError, match="bad SLO clause"):
        parse_slo("failed_starts=0")
    with pytest.raises(PlanError, match="unknown chaos gremlin"):
        plan(chaos=("gremlin",))


def test_routes_are_named_without_their_ids() -> None:
    assert route_of("/api/playback/12/start") == "/api/playback/{id}/start"
    assert route_of("/api/playback/3f2a9c1d0b8e7f6a5d4c/v720p/index.m3u8") == (
        "/api/playback/{id}/playlists"
    )
    assert route_of("/api/playback/-GDFy0_CXfVb-kCc8P07JaBE/heartbeat") == (
        "/api/playback/{id}/heartbeat"
    )
    assert route_of("/api/titles/7") == "/api/titles/{id}"
    assert route_of("/v/12/abc/v720p/seg-1.m4s") == "edge media"


def test_groups_are_compared_per_viewer_in_the_chaos_window_and_kong_is_judged() -> None:
    p = plan()  # chaos window 20-80 s
    assert [p.group_of(i) for i in range(4)] == ["control", "experiment"] * 2
    starts = [
        StartSample(10, "control", 0, True, 0.5, "us"),  # warm-up: not in the window
        StartSample(30, "control", 0, True, 0.5, "us"),
        StartSample(40, "control", 2, True, 0.7, "us"),
        StartSample(30, "experiment", 1, True, 0.6, "eu"),
        StartSample(52, "experiment", 3, True, 0.9, "eu"),  # still eu 2 s after kong
        StartSample(58, "experiment", 1, True, 1.0, "us"),
        StartSample(60, "experiment", 3, False, 0.0, error="boom"),
    ]
    sessions = [
        SessionSample(31, 56, "experiment", 1, 24.0, 1, 1.0, 1, False),  # playing at kong
        SessionSample(53, 70, "experiment", 3, 17.0, 0, 0.0, 0, True),
        SessionSample(31, 60, "control", 0, 29.0, 0, 0.0, 0, False),
    ]
    summary = summarize(p, [], starts, sessions, kong_at=50.0)
    control, experiment = summary["groups"]["control"], summary["groups"]["experiment"]
    assert control["starts_per_viewer_in_chaos_window"] == 1.0
    assert experiment["starts_per_viewer_in_chaos_window"] == 1.5
    assert summary["slo_inputs"]["start_ratio"] == 1.5
    assert summary["slo_inputs"]["failed_starts"] == 1
    assert summary["slo_inputs"]["failed_sessions"] == 1
    assert summary["slo_inputs"]["rebuffer_ratio"] == pytest.approx(1.0 / 71.0)
    assert experiment["start_regions"] == {"eu": 2, "us": 1}
    kong = summary["kong"]
    assert kong["sessions_playing_through"] == 1 and kong["of_them_failed"] == 0
    assert kong["max_rebuffers_of_them"] == 1
    assert kong["first_start_elsewhere_after_s"] == 8.0
    assert kong["last_start_in_region_after_s"] == 2.0
    assert kong["failed_starts_after"] == 1


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 0.99) == 0.0
    assert percentile(range(1, 101), 0.99) == 99
    assert percentile([5.0], 0.5) == 5.0


def _metrics(transitions: float, created: float) -> str:
    return (
        "# HELP vodstack_circuit_transitions_total Circuit breaker state changes\n"
        "# TYPE vodstack_circuit_transitions_total counter\n"
        f'vodstack_circuit_transitions_total{{state="open",upstream="catalog"}} {transitions}\n'
        f'vodstack_circuit_transitions_created{{state="open",upstream="catalog"}} {created}\n'
    )


def test_counters_are_summed_over_gateway_processes_sharing_a_port() -> None:
    counters = GatewayCounters(since_epoch=1000.0)
    recorder = Recorder()
    counters.observe(_metrics(3, created=900.0), recorder)  # an old process: 3 before we came
    counters.observe(_metrics(1, created=1010.0), recorder)  # a replacement, born during the run
    counters.observe(_metrics(5, created=900.0), recorder)  # the old one again: +2
    counters.observe(_metrics(1, created=1010.0), recorder)  # unchanged
    assert counters.totals() == {
        "vodstack_circuit_transitions": {"state=open,upstream=catalog": 3.0}
    }
    assert [e.detail for e in recorder.events] == ["catalog circuit -> open"] * 2
