"""Objects whose ids name no segment: forecast by their own history, calibrated on past nights."""

from __future__ import annotations

from vodstack.control.count_history import MIN_OBJECTS, CountHistory, bucket
from vodstack.control.forecast import ForecastModel, PopularityForecast
from vodstack.control.objects import describe, opaque

STEADY = [f"steady{i:03d}" for i in range(40)]


def _one_timers(day: int, n: int = 200) -> dict[str, float]:
    return {f"new{day}-{i:03d}": 1.0 for i in range(n)}


def _forecast(**overrides: object) -> PopularityForecast[str]:
    return PopularityForecast(ForecastModel(**overrides), opaque)  # type: ignore[arg-type]


def test_a_trace_of_one_timers_teaches_that_one_request_says_little() -> None:
    forecast = _forecast()
    for day in range(5):
        counts = _one_timers(day) | dict.fromkeys(STEADY, 1.0)
        forecast.record_day({"eu": counts})
    expected = forecast.expected_requests("eu")
    # Yesterday's newcomers: seen once, like the steady objects yesterday, and never again on
    # any night answered so far. Their rate since first seen is 1.0, the steady objects' too.
    assert max(expected[key] for key in _one_timers(4)) < 0.05
    assert min(expected[key] for key in STEADY) > 0.9
    plain = _forecast(count_history=False)
    for day in range(5):
        plain.record_day({"eu": _one_timers(day) | dict.fromkeys(STEADY, 1.0)})
    assert plain.expected_requests("eu")["new4-000"] == 1.0  # what the calibration replaces


def test_a_trace_where_a_first_request_is_followed_by_one_more_teaches_that() -> None:
    # Every object is asked for on two days in a row, then never: the opposite lesson, from
    # the same kind of history, so the answer comes from the trace and not from a prior.
    history: CountHistory[str] = CountHistory(7.0)
    for day in range(5):
        today = _one_timers(day) | (_one_timers(day - 1) if day else {})
        history.record_day({"eu": today})
    expected = history.expected_requests("eu")
    assert min(expected[key] for key in _one_timers(4)) > 0.95  # seen once: one more to come
    assert max(expected[key] for key in _one_timers(3)) < 0.05  # seen twice: done


def test_nothing_is_forecast_before_a_whole_day_has_answered_a_night() -> None:
    whole: CountHistory[str] = CountHistory(7.0)
    whole.record_day({"eu": _one_timers(0)})
    assert whole.expected_requests("eu") == {}
    whole.record_day({"eu": _one_timers(1)})
    # Night 0's newcomers were not asked for again on day 1: day 1's are judged on that.
    assert whole.expected_requests("eu") == dict.fromkeys(_one_timers(1), 0.0)
    # A first day much shorter than the next (a trace starting at noon) teaches nothing.
    partial: CountHistory[str] = CountHistory(7.0)
    partial.record_day({"eu": {"early": 1.0}})
    partial.record_day({"eu": _one_timers(1) | {"early": 1.0}})
    assert partial.expected_requests("eu") == {}


def test_a_thin_signature_falls_back_to_a_coarser_one() -> None:
    def group(name: str, n: int, requests: float) -> dict[str, float]:
        return {f"{name}{i:03d}": requests for i in range(n)}

    history: CountHistory[str] = CountHistory(7.0)
    # "y" objects are asked for once a day; "x" objects twice on their first day, then never.
    history.record_day({"eu": group("y0-", 200, 1.0) | group("x0-", 10, 2.0)})
    history.record_day({"eu": group("y0-", 200, 1.0) | group("y1-", 200, 1.0)
                        | group("x1-", 10, 2.0)})  # fmt: skip
    history.record_day({"eu": group("y0-", 200, 1.0) | group("y1-", 200, 1.0)})
    expected = history.expected_requests("eu")
    # y1 now has the history y0 had a night earlier, answered by 200 objects: 1 request.
    assert expected["y1-000"] == 1.0
    # x1's history (2 requests, the day before yesterday) was seen on 10 objects only, fewer
    # than MIN_OBJECTS: judged with every object of its decayed count and age (x0 and y0).
    assert MIN_OBJECTS > 10
    assert expected["x1-000"] == 200 / 210
    assert bucket(0.0) == 0 < bucket(0.01) < bucket(1.0) < bucket(1.5) < bucket(3.0)


def test_a_partial_day_moves_a_fork_and_leaves_the_forecast_as_it_was() -> None:
    forecast = _forecast()
    for day in range(4):
        forecast.record_day({"eu": _one_timers(day) | dict.fromkeys(STEADY, 1.0)})
    before = forecast.expected_requests("eu")
    fork = forecast.with_partial_day({"eu": {"new3-000": 2}}, {"eu": 0.5})
    assert fork.expected_requests("eu")["new3-000"] != before["new3-000"]
    assert forecast.expected_requests("eu") == before


def test_ids_that_name_segments_are_left_to_the_position_model() -> None:
    def day(n: int) -> dict[str, float]:
        counts = {f"t{t}/720p/{p:05d}": float(n + t) for t in range(40) for p in range(6)}
        counts |= {f"t{t}/360p/{p:05d}": 1.0 for t in range(5) for p in range(3)}
        return counts

    on: PopularityForecast[str] = PopularityForecast(ForecastModel(), describe)
    off: PopularityForecast[str] = PopularityForecast(ForecastModel(count_history=False), describe)
    for n in range(4):
        on.record_day({"eu": day(n)})
        off.record_day({"eu": day(n)})
    assert on.expected_requests("eu") == off.expected_requests("eu")
