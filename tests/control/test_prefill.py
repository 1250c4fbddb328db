"""`vodstack cache evaluate --prefill`: nightly plans from the past only, fills counted apart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vodstack.cdn.cache.budget import ByteBudget
from vodstack.cdn.cache.replay import Tally, serve
from vodstack.cdn.cache.trace import read_trace
from vodstack.cdn.workload import DAY_S, WorkloadSpec, generate
from vodstack.cli.main import app
from vodstack.config.settings import EvictionKind, FillPlanSettings
from vodstack.control.prefill import replay_prefill
from vodstack.control.tuning import best_share

PLAN = FillPlanSettings(window_start_hour=0, planned_share=1.0, auto_share=False)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines))
    return path


def test_the_night_fill_places_yesterdays_favourite(tmp_path: Path) -> None:
    # Day 0: a five times, then b. Day 1: b, a. The cache fits one object; the plan takes a.
    day0 = ["10,a,100,eu", "20,a,100,eu", "30,a,100,eu", "40,a,100,eu", "50,a,100,eu",
            "60,b,100,eu"]  # fmt: skip
    day1 = [f"{DAY_S + 10},b,100,eu", f"{DAY_S + 20},a,100,eu"]
    trace = read_trace(_write(tmp_path / "t.csv", [f"{line}\n" for line in day0 + day1]))
    result = replay_prefill(trace, EvictionKind.LRU, 100, PLAN)
    first, second = result.days
    assert (first.hits, first.fill_bytes) == (4, 0)  # LRU alone: a's repeats; b evicts a
    assert second.fill_bytes == 100  # b was cached on demand; a is fetched for the plan
    assert second.hits == 1 and second.hit_bytes == 100  # a, pinned
    assert result.total.fill_bytes == 100


def _lines(spec: WorkloadSpec) -> list[str]:
    return list(generate(spec))


@pytest.mark.parametrize(("auto_share", "returns"), [(False, 0.0), (True, 0.0), (False, 0.8)])
def test_a_different_future_changes_nothing_before_it(
    tmp_path: Path, auto_share: bool, returns: float
) -> None:
    # returns > 0: viewers resume, so the forecast's resume term has something to learn.
    base = WorkloadSpec(days=3, titles=30, regions=("eu", "us"), sessions_per_day=25, seed=3,
                        returns=returns)  # fmt: skip
    other = WorkloadSpec(**{**base.__dict__, "seed": 4})
    cut = 2 * DAY_S  # from day 2 on, the two traces differ
    past = [line for line in _lines(base) if float(line.split(",")[0]) < cut]
    future = [line for line in _lines(other) if float(line.split(",")[0]) >= cut]
    original = [line for line in _lines(base) if float(line.split(",")[0]) >= cut]
    assert future != original
    results = []
    for name, tail in (("a", original), ("b", future)):
        trace = read_trace(_write(tmp_path / f"{name}.csv", past + tail))
        plan = FillPlanSettings(window_start_hour=0, planned_share=0.5, auto_share=auto_share)
        results.append(replay_prefill(trace, EvictionKind.S3FIFO, 2 * 10**8, plan))
    a, b = results
    assert [day.as_dict() for day in a.days[:2]] == [day.as_dict() for day in b.days[:2]]
    # Day 2's plan and pinned share come from days 0-1 only.
    assert a.days[2].fill_bytes == b.days[2].fill_bytes
    assert a.days[2].fill_bytes > 0 or auto_share
    assert [s[:2] for s in a.shares.values()] == [s[:2] for s in b.shares.values()]
    assert a.days[2].as_dict() != b.days[2].as_dict()


def test_an_intraday_window_plans_only_from_the_requests_before_it(tmp_path: Path) -> None:
    base = WorkloadSpec(days=3, titles=30, regions=("eu", "us"), sessions_per_day=25, seed=3)
    other = WorkloadSpec(**{**base.__dict__, "seed": 4})
    cut = 2 * DAY_S + DAY_S // 2  # the second fill window of day 2 starts here
    past = [line for line in _lines(base) if float(line.split(",")[0]) < cut]
    future = [line for line in _lines(other) if float(line.split(",")[0]) >= cut]
    original = [line for line in _lines(base) if float(line.split(",")[0]) >= cut]
    plan = FillPlanSettings(window_start_hour=0, planned_share=0.5, auto_share=False,
                            fills_per_day=2)  # fmt: skip
    a, b = (
        replay_prefill(read_trace(_write(tmp_path / f"{name}.csv", past + tail)),
                       EvictionKind.S3FIFO, 2 * 10**8, plan)
        for name, tail in (("a", original), ("b", future))
    )  # fmt: skip
    assert [day.as_dict() for day in a.days[:2]] == [day.as_dict() for day in b.days[:2]]
    # Both of day 2's fills (at 00:00 and at 12:00) come from requests before 12:00 ...
    assert a.days[2].fill_bytes == b.days[2].fill_bytes
    # ... and the 12:00 one re-planned from the morning: more is fetched than at night alone.
    night_only = FillPlanSettings(**{**plan.model_dump(), "fills_per_day": 1})
    trace = read_trace(tmp_path / "a.csv")
    once = replay_prefill(trace, EvictionKind.S3FIFO, 2 * 10**8, night_only)
    assert a.days[2].fill_bytes > once.days[2].fill_bytes
    assert a.days[2].as_dict() != b.days[2].as_dict()


def test_every_window_fills_within_the_cap(tmp_path: Path) -> None:
    spec = WorkloadSpec(days=3, titles=40, regions=("eu", "us"), sessions_per_day=40, seed=8)
    trace = read_trace(_write(tmp_path / "w.csv", _lines(spec)))
    windows = 4
    plan = FillPlanSettings(window_start_hour=0, planned_share=1.0, auto_share=False,
                            fills_per_day=windows,
                            rate_bytes_per_s=5_000, window_hours=1)  # fmt: skip
    cap = plan.rate_bytes_per_s * 3600  # one edge per region in the replay
    capacity = trace.unique_bytes // 10
    assert capacity > windows * cap, "without the cap, one night's fill alone would exceed it"
    result = replay_prefill(trace, EvictionKind.S3FIFO, capacity, plan)
    for day in result.days:
        assert day.fill_bytes <= windows * cap * len(trace.regions)
    # The cap is per window, not per day: the later windows fetch too.
    assert any(day.fill_bytes > cap * len(trace.regions) for day in result.days[1:])


def test_serving_request_by_request_sees_every_outcome_and_changes_nothing(
    tmp_path: Path,
) -> None:
    # bench/prefill_losses.py reads each request's outcome through `serve_requests`; serving
    # one request at a time must give the very figures the replay gives in one loop.
    spec = WorkloadSpec(days=3, titles=30, regions=("eu", "us"), sessions_per_day=30, seed=5)
    trace = read_trace(_write(tmp_path / "s.csv", _lines(spec)))
    plan = FillPlanSettings(fills_per_day=2)
    capacity = trace.unique_bytes // 20
    outcomes: list[bool] = []

    def one_by_one(
        budget: ByteBudget[int],
        objects: list[int],
        sizes: list[int],
        pinned: set[int],
        times: Sequence[float],
        titles: Sequence[int],
    ) -> Tally:
        total = Tally()
        for index, obj in enumerate(objects):
            served = serve(budget, [obj], sizes, pinned, times[index : index + 1], titles)
            outcomes.append(served.hits == 1)
            total.add(served)
        return total

    plain = replay_prefill(trace, EvictionKind.S3FIFO, capacity, plan)
    seen = replay_prefill(trace, EvictionKind.S3FIFO, capacity, plan, serve_requests=one_by_one)
    assert seen.as_dict() == plain.as_dict()
    assert len(outcomes) == trace.requests and sum(outcomes) == plain.total.hits > 0


def test_the_oracle_is_a_ceiling_that_knows_tomorrow(tmp_path: Path) -> None:
    # Day 0 favours a, day 1 asks only for b: the forecast pins a, the clairvoyant plan b.
    day0 = [f"{10 * i},a,100,eu" for i in range(1, 6)] + ["60,b,100,eu"]
    day1 = [f"{DAY_S + 10 * i},b,100,eu" for i in range(1, 4)]
    trace = read_trace(_write(tmp_path / "t.csv", [f"{line}\n" for line in day0 + day1]))
    honest = replay_prefill(trace, EvictionKind.LRU, 100, PLAN).days[1]
    oracle = replay_prefill(trace, EvictionKind.LRU, 100, PLAN, oracle=True).days[1]
    assert (honest.hits, oracle.hits) == (0, 3)  # a pinned fills the cache; b pinned
    result = CliRunner().invoke(
        app, ["cache", "evaluate", "--trace", str(tmp_path / "t.csv"), "--capacity", "100",
              "--policy", "lru", "--oracle", "--fill-hour", "0", "--planned-share", "1",
              "--no-auto-share", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["results"]
    assert row["oracle"] is True and row["days"][1]["hits"] == 3


def test_the_cli_reports_fill_bytes_per_region(tmp_path: Path) -> None:
    spec = WorkloadSpec(days=3, titles=30, regions=("eu", "us"), sessions_per_day=30, seed=5)
    trace = _write(tmp_path / "w.csv", _lines(spec))
    result = CliRunner().invoke(
        app, ["cache", "evaluate", "--trace", str(trace), "--capacity", "5%,10%",
              "--policy", "s3fifo", "--prefill", "--fill-hour", "0", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    for row in data["results"]:
        assert row["prefill"] is True and row["fill_bytes"] > 0
        assert set(row["regions"]) == {"eu", "us"}
        assert row["fill_bytes"] == sum(r["fill_bytes"] for r in row["regions"].values())
        assert 0 < row["byte_hit_ratio"] <= 1
    assert data["results"][0]["capacity_bytes"] < data["results"][1]["capacity_bytes"]


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_planned_share_zero_is_plain_demand_fetch(tmp_path: Path, share: float) -> None:
    spec = WorkloadSpec(days=2, titles=20, regions=("eu",), sessions_per_day=20, seed=6)
    trace = read_trace(_write(tmp_path / "w.csv", _lines(spec)))
    plan = FillPlanSettings(window_start_hour=0, planned_share=share, auto_share=False)
    result = replay_prefill(trace, EvictionKind.SIEVE, 10**8, plan)
    assert (result.total.fill_bytes == 0) is (share == 0.0)


def test_the_backtest_pins_a_stable_head_under_scans_and_not_a_wrong_one() -> None:
    sizes = [1] * 10_000
    head = list(range(9))
    scans = iter(range(100, 10_000))
    day = [key for _round in range(40) for hot in head for key in (hot, next(scans))]
    assert best_share(head, [], day, sizes, 10, EvictionKind.LRU) == 0.9
    wrong = list(range(5000, 5009))  # ranked objects nobody asks for
    repeats = [key for _round in range(40) for key in (1, 2, 3)]
    assert best_share(wrong, [], repeats, sizes, 10, EvictionKind.LRU) == 0.0


def test_cache_plan_from_a_log_fits_each_edge(tmp_path: Path) -> None:
    spec = WorkloadSpec(days=2, titles=30, regions=("eu", "us"), sessions_per_day=30, seed=9)
    log = _write(tmp_path / "log.csv", _lines(spec))
    result = CliRunner().invoke(
        app, ["cache", "plan", "--log", str(log), "--capacity", "3%", "--edges-per-region", "3",
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    assert set(data["regions"]) == {"eu", "us"}
    for region in data["regions"].values():
        assert len(region["edges"]) == 3
        for edge in region["edges"]:
            assert 0 < edge["planned_bytes"] <= data["capacity_bytes"]
            assert edge["origin_bytes"] == edge["planned_bytes"], "nothing held yet: origin"
        assert 0 < region["predicted_offload"] <= 1
