"""Returning viewers: where viewings stopped, how many resume, what that forecasts."""

from __future__ import annotations

from collections import Counter

import pytest

from vodstack.config.settings import FillPlanSettings
from vodstack.control.objects import describe
from vodstack.control.planner import FillPlanner
from vodstack.control.returns import ReturningViewers


def _viewing(title: str, rendition: str, first: int, last: int) -> Counter[str]:
    return Counter(f"{title}/{rendition}/{p:05d}" for p in range(first, last + 1))


def _catalogue_day(*viewings: Counter[str]) -> Counter[str]:
    """A day with two viewings to the end of a long title (a stop where more than one viewing
    reached is taken for the title's end, not a pause)."""
    day = _viewing("long", "720p", 0, 99) + _viewing("long", "720p", 0, 99)
    for viewing in viewings:
        day.update(viewing)
    return day


def test_a_rendition_switch_is_not_an_end_and_a_stop_is() -> None:
    returns: ReturningViewers[str] = ReturningViewers(describe, keep_shape=1.0)
    switch = _viewing("a", "480p", 0, 20) + _viewing("a", "720p", 21, 60)
    returns.record_day({"eu": _catalogue_day(switch, _viewing("a", "720p", 0, 80))})
    (ends,) = returns._ends["eu"]
    # Not a/480p/00020: that viewing went on in 720p. 80 is as far as "a" was seen, by one
    # viewing only: a pause as far as anyone can tell, not the title's end.
    assert ends == {"a/720p/00060": 1.0, "a/720p/00080": 1.0}


def test_resumes_are_learnt_and_forecast_from_where_yesterday_stopped() -> None:
    returns: ReturningViewers[str] = ReturningViewers(describe, keep_shape=1.0)
    day1 = _catalogue_day(_viewing("a", "720p", 0, 40), _viewing("b", "720p", 0, 30),
                          _viewing("b", "720p", 0, 70))  # fmt: skip
    # Day 2: the viewing of "a" stopped at 40 resumes there, the two of "b" do not.
    day2 = _catalogue_day(_viewing("a", "720p", 40, 90), _viewing("b", "720p", 0, 50))
    returns.record_day({"eu": day1})
    assert returns.expected_requests("eu") == {}  # no rate learnt yet
    returns.record_day({"eu": day2})
    assert returns.rates()[0] == pytest.approx(1 / 3)  # 3 mid-title ends, 1 resumed
    expected = returns.expected_requests("eu")
    # Day 2's "b" viewing stopped at 50: resumes there, fading along the title.
    assert expected["b/720p/00050"] > expected["b/720p/00070"] > 0
    assert "b/720p/00049" not in expected
    # Ends of two days ago resume at the lag-2 rate, not learnt yet (nothing came back).
    assert "a/720p/00040" not in expected or expected["a/720p/00040"] == 0


def test_a_trace_without_resumes_learns_no_resume_rate() -> None:
    returns: ReturningViewers[str] = ReturningViewers(describe, keep_shape=1.0)
    for _ in range(3):
        returns.record_day({"eu": _catalogue_day(_viewing("a", "720p", 0, 40),
                                                 _viewing("a", "1080p", 10, 30))})  # fmt: skip
    assert returns.rates()[:2] == [0.0, 0.0]
    assert returns.expected_requests("eu") == {}


def test_the_planner_places_the_continuation_of_a_stopped_viewing() -> None:
    sizes = Counter[str]()
    settings = FillPlanSettings(planned_share=1.0)
    without = FillPlanSettings(planned_share=1.0, return_model=False)
    days = [
        _catalogue_day(_viewing("c", "720p", 0, 30), _viewing("c", "720p", 0, 90)),
        _catalogue_day(_viewing("c", "720p", 30, 50), _viewing("c", "720p", 0, 90)),
    ]
    plans = []
    for plan_settings in (settings, without):
        planner: FillPlanner[str] = FillPlanner(plan_settings, describe, lambda _key: 1)
        for day in days:
            planner.record_day({"eu": day})
            sizes.update(day)
        plans.append(planner.forecast.expected_requests("eu"))
    with_returns, popularity_only = plans
    # Day 2's viewing that resumed at 30 stopped at 50: its continuation is forecast higher.
    assert with_returns["c/720p/00051"] > popularity_only.get("c/720p/00051", 0.0)
    assert with_returns["c/720p/00020"] == pytest.approx(popularity_only["c/720p/00020"])
