"""The learned forecast (`cdn.fill_plan.forecast = "learned"`): past days only, deterministic."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from vodstack.cdn.cache.replay import parse_capacity
from vodstack.cdn.cache.trace import read_trace
from vodstack.cdn.workload import DAY_S, WorkloadSpec, generate
from vodstack.cli.main import app
from vodstack.config.settings import EvictionKind, FillPlanSettings, ForecastKind
from vodstack.control.demand_forecast import DemandForecast, build_forecast
from vodstack.control.forecast import ForecastModel, PopularityForecast
from vodstack.control.learned_forecast import LearnedForecast
from vodstack.control.objects import describe
from vodstack.control.planner import FillPlanner
from vodstack.control.poisson_regression import PoissonRegression
from vodstack.control.prefill import replay_prefill

LEARNED = FillPlanSettings(
    window_start_hour=0, planned_share=0.5, auto_share=False, forecast=ForecastKind.LEARNED
)


def test_the_regression_recovers_the_weights_it_was_drawn_with() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(20_000, 2))
    offset = rng.normal(size=20_000)
    y = rng.poisson(np.exp(offset + 0.3 + 0.5 * x[:, 0] - 0.4 * x[:, 1])).astype(np.float64)
    fit = PoissonRegression.fit(x, y, ridge=0.0, offset=offset)
    slopes = fit.weights[1:] / fit.scale
    assert np.allclose(slopes, [0.5, -0.4], atol=0.03)
    intercept = fit.weights[0] - float(slopes @ fit.mean)
    assert abs(intercept - 0.3) < 0.03


def test_a_heavy_penalty_leaves_the_offsets_order() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2_000, 3))
    offset = rng.normal(size=2_000)
    y = rng.poisson(np.exp(2 * x[:, 0])).astype(np.float64)  # x says much, the offset nothing
    fit = PoissonRegression.fit(x, y, ridge=1e12, offset=offset)
    assert list(np.argsort(fit.predict(x, offset))) == list(np.argsort(offset))


def _days(count: int) -> list[dict[str, dict[str, float]]]:
    """Five of 20 objects a day in `us`, and the same five in `eu` the day after."""
    groups = [[f"o{group * 5 + n}" for n in range(5)] for group in range(4)]
    days = []
    for day in range(count):
        days.append({
            "us": dict.fromkeys(groups[day % 4], 10.0),
            "eu": {**dict.fromkeys(groups[(day - 1) % 4], 10.0), "o0": 1.0},
        })  # fmt: skip
    return days


def _top(expected: Mapping[str, float], count: int) -> set[str]:
    return set(sorted(expected, key=lambda key: (-expected[key], key))[:count])


def test_it_learns_a_signal_the_model_leaves_out() -> None:
    # What `us` watched today, `eu` watches tomorrow: the model ranks each region by its own
    # past (region_pooling 0); the learned forecast has other regions' yesterday as a feature.
    # The ids name no segment, so the model would judge them by their calibrated history
    # (control/count_history.py), another thing learnt from the past: off, to see the fit's.
    model = ForecastModel.from_settings(FillPlanSettings(count_history=False))
    learned: LearnedForecast[str] = LearnedForecast(model, describe)
    plain: PopularityForecast[str] = PopularityForecast(model, describe)
    days = _days(9)
    for counts in days:
        learned.record_day(counts)
        plain.record_day(counts)
    tomorrow = {f"o{(9 % 4) * 5 + n - 5}" for n in range(5)}  # the group `us` watched today
    assert tomorrow == set(days[-1]["us"])
    assert learned.fitted is not None
    assert _top(learned.expected_requests("eu"), 5) == tomorrow
    assert _top(plain.expected_requests("eu"), 5) != tomorrow


def test_the_setting_picks_the_forecast() -> None:
    planner: FillPlanner[str] = FillPlanner(LEARNED, describe, lambda _key: 1)
    assert isinstance(planner.forecast, LearnedForecast)
    assert isinstance(build_forecast(FillPlanSettings(), describe), PopularityForecast)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines))
    return path


def test_a_different_future_changes_nothing_before_it(tmp_path: Path) -> None:
    base = WorkloadSpec(days=4, titles=30, regions=("eu", "us"), sessions_per_day=25, seed=3,
                        returns=0.5)  # fmt: skip
    other = WorkloadSpec(**{**base.__dict__, "seed": 4})
    cut = 3 * DAY_S  # from day 3 on the traces differ; days 2 and 3 are planned by a fit
    past = [line for line in generate(base) if float(line.split(",")[0]) < cut]
    future = [line for line in generate(other) if float(line.split(",")[0]) >= cut]
    original = [line for line in generate(base) if float(line.split(",")[0]) >= cut]
    a, b = (
        replay_prefill(read_trace(_write(tmp_path / f"{name}.csv", past + tail)),
                       EvictionKind.S3FIFO, 2 * 10**8, LEARNED)
        for name, tail in (("a", original), ("b", future))
    )  # fmt: skip
    assert [day.as_dict() for day in a.days[:3]] == [day.as_dict() for day in b.days[:3]]
    assert a.days[3].fill_bytes == b.days[3].fill_bytes  # day 3's plan: days 0-2 only
    assert a.days[3].as_dict() != b.days[3].as_dict()
    # The plans of days 2 and 3 came from a fitted regression, not the model's fallback.
    trace = read_trace(tmp_path / "a.csv")
    infos = [describe(name) for name in trace.names]
    forecast: DemandForecast[int] = build_forecast(LEARNED, infos.__getitem__)
    assert isinstance(forecast, LearnedForecast)
    for day in range(3):
        forecast.record_day({
            region: _counts(requests.objects, requests.times, day)
            for region, requests in trace.regions.items()
        })  # fmt: skip
    assert forecast.fitted is not None


def _counts(objects: list[int], times: object, day: int) -> dict[int, float]:
    counts: dict[int, float] = {}
    for key, when in zip(objects, times, strict=True):  # type: ignore[call-overload]
        if day * DAY_S <= when < (day + 1) * DAY_S:
            counts[key] = counts.get(key, 0.0) + 1
    return counts


def test_the_same_trace_gives_the_same_replay(tmp_path: Path) -> None:
    spec = WorkloadSpec(days=4, titles=30, regions=("eu", "us"), sessions_per_day=25, seed=9)
    trace = read_trace(_write(tmp_path / "t.csv", list(generate(spec))))
    intraday = FillPlanSettings(**{**LEARNED.model_dump(), "fills_per_day": 2})
    for plan in (LEARNED, intraday):
        first, second = (replay_prefill(trace, EvictionKind.S3FIFO, 2 * 10**8, plan)
                         for _ in range(2))  # fmt: skip
        assert first.as_dict() == second.as_dict()


def test_the_cli_replays_with_the_forecast_it_is_given(tmp_path: Path) -> None:
    spec = WorkloadSpec(days=4, titles=30, regions=("eu", "us"), sessions_per_day=30, seed=5,
                        returns=0.5)  # fmt: skip
    path = _write(tmp_path / "w.csv", list(generate(spec)))
    ratios = {}
    for forecast in ForecastKind:
        result = CliRunner().invoke(
            app, ["cache", "evaluate", "--trace", str(path), "--capacity", "5%",
                  "--policy", "s3fifo", "--prefill", "--fill-hour", "0", "--no-auto-share",
                  "--planned-share", "0.5", "--forecast", forecast.value, "--json"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        (row,) = json.loads(result.output)["results"]
        ratios[forecast] = row["byte_hit_ratio"]
    assert ratios[ForecastKind.MODEL] != ratios[ForecastKind.LEARNED]  # the flag is heard
    trace = read_trace(path)
    size = parse_capacity("5%", trace.unique_bytes)
    for forecast, ratio in ratios.items():
        plan = FillPlanSettings(**{**LEARNED.model_dump(), "forecast": forecast})
        direct = replay_prefill(trace, EvictionKind.S3FIFO, size, plan)
        assert ratio == direct.total.byte_hit_ratio


def test_an_intraday_copy_leaves_the_nightly_forecast_as_it_was() -> None:
    spec = WorkloadSpec(days=4, titles=30, regions=("eu", "us"), sessions_per_day=40, seed=7,
                        returns=0.5)  # fmt: skip
    days: list[dict[str, dict[str, int]]] = [{} for _ in range(5)]  # the last spills over
    for line in generate(spec):
        when, name, _size, region = line.strip().split(",")
        seen = days[int(float(when) // DAY_S)].setdefault(region, {})
        seen[name] = seen.get(name, 0) + 1
    model = ForecastModel.from_settings(FillPlanSettings())
    alone: LearnedForecast[str] = LearnedForecast(model, describe)
    forked: LearnedForecast[str] = LearnedForecast(model, describe)
    for day, counts in enumerate(days):
        if day == 3:
            # The morning of day 3, seen by an intraday window's copy only.
            morning = {region: dict(list(objects.items())[::2]) for region, objects in
                       counts.items()}  # fmt: skip
            forked.with_partial_day(morning, dict.fromkeys(morning, 0.5))
        alone.record_day(counts)
        forked.record_day(counts)
    assert alone.fitted is not None
    for region in ("eu", "us"):
        assert forked.expected_requests(region) == alone.expected_requests(region)
