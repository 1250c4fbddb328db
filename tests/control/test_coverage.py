"""Unrequested positions of known titles (`cdn.fill_plan.unrequested`): named from the past
only, sized from the past only, holding room and costing fills like any planned object."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vodstack.cdn.cache.budget import ByteBudget
from vodstack.cdn.cache.replay import Tally, serve
from vodstack.cdn.cache.trace import read_trace
from vodstack.cdn.workload import DAY_S, WorkloadSpec, generate
from vodstack.cli.main import app
from vodstack.config.settings import EvictionKind, FillPlanSettings
from vodstack.control.coverage import PastSizes
from vodstack.control.fills import ORIGIN
from vodstack.control.objects import ObjectInfo, describe, name_at
from vodstack.control.plan_objects import PlanObjects
from vodstack.control.planner import FillPlanner
from vodstack.control.prefill import replay_prefill

NIGHT = FillPlanSettings(
    window_start_hour=0, planned_share=1.0, auto_share=False, unrequested=False
)
WITH = NIGHT.model_copy(update={"unrequested": True})
CAPACITY = 2 * 10**9


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def _size(name: str) -> int:
    info = describe(name)
    return (1000 if info.rendition == "hi" else 250) * ((info.position or 0) + 1)


def _viewings(day: int, positions: dict[str, int], views: int = 3, title: str = "t") -> list[str]:
    """`views` viewings from the start of `title` per rendition, up to `positions[rendition]`."""
    lines = []
    at = day * DAY_S + (10.0 if title == "t" else 5000.0)
    for _view in range(views):
        for rendition, last in positions.items():
            for position in range(last + 1):
                name = f"{title}/{rendition}/{position:05d}"
                lines.append(f"{at:.1f},{name},{_size(name)},eu")
                at += 1.0
    return lines


def _past(days: tuple[int, ...] = (0, 1)) -> list[str]:
    """Title t: "hi" watched to position 7, "lo" only to 3; title u: both to 7 (so the
    catalogue knows how often "lo" is watched that far)."""
    return [
        line
        for day in days
        for line in _viewings(day, {"hi": 7, "lo": 3})
        + _viewings(day, {"hi": 7, "lo": 7}, title="u")
    ]


SIZES = {f"t/{r}/{p:05d}": _size(f"t/{r}/{p:05d}") for r in ("hi", "lo") for p in range(8)}


def test_the_plan_names_an_unrequested_position_and_a_later_request_hits_it(
    tmp_path: Path,
) -> None:
    # Days 0-1: "hi" watched to position 7, "lo" only to 3. Day 2 asks for lo/5, never asked.
    past = _past()
    future = [f"{2 * DAY_S + 50},t/lo/00005,{SIZES['t/lo/00005']},eu"]
    trace = read_trace(_write(tmp_path / "t.csv", past + future))
    capacity = sum(SIZES.values()) * 2
    without = replay_prefill(trace, EvictionKind.S3FIFO, capacity, NIGHT)
    named = replay_prefill(trace, EvictionKind.S3FIFO, capacity, WITH)
    assert without.days[2].hits == 0, "nothing named lo/5 before"
    assert named.days[2].hits == 1 and named.days[2].hit_bytes == SIZES["t/lo/00005"]
    # lo/4..7 are filled on each night (sized from hi's x the median lo/hi ratio, 0.25), lo/6
    # and lo/7 as virtual objects the trace never requests.
    extra = sum(SIZES[f"t/lo/{p:05d}"] for p in range(4, 8))
    assert named.total.fill_bytes == without.total.fill_bytes + extra


def test_sizes_come_from_the_past_only(tmp_path: Path) -> None:
    # Two traces, the same up to day 2, whose day-2 request of the never-requested lo/5 has
    # a different size: day 2's plan (named and sized from days 0-1) must be the same.
    past = _past()
    results = []
    for name, size in (("a", 1500), ("b", 9000)):
        tail = [f"{2 * DAY_S + 50},t/lo/00005,{size},eu", f"{3 * DAY_S + 50},t/hi/00000,1000,eu"]
        trace = read_trace(_write(tmp_path / f"{name}.csv", past + tail))
        results.append(replay_prefill(trace, EvictionKind.S3FIFO, 10**6, WITH))
    a, b = results
    assert [d.fill_bytes for d in a.days[:3]] == [d.fill_bytes for d in b.days[:3]]
    assert a.days[2].hits == b.days[2].hits == 1
    assert a.days[2].hit_bytes != b.days[2].hit_bytes  # the request itself is the trace's


def test_plan_objects_know_a_size_only_once_requested(tmp_path: Path) -> None:
    lines = ["1,t/hi/00000,1000,eu", "2,t/lo/00000,250,eu", "3,t/hi/00001,2000,eu",
             "4,t/lo/00001,9999,eu", "5,t/hi/00002,3000,eu"]  # fmt: skip
    trace = read_trace(_write(tmp_path / "k.csv", lines))
    known = PlanObjects(trace)
    assert known.sizes == [0, 0, 0, 0, 0], "nothing requested yet: no size known"
    known.observe([0, 1, 2])
    assert known.sizes == [1000, 250, 2000, 0, 0]
    # lo/1 is in the trace but not requested yet: named, it is sized by estimate (hi/1 x
    # 0.25), not by its size in the trace.
    assert known.resolve(ObjectInfo("t", "lo", 1), 1) == 3 and known.sizes[3] == 500
    assert known.resolve(ObjectInfo("t", "lo", 2), 1) is None, "no other rendition there yet"
    known.observe([3, 4])
    assert known.sizes[3] == 9999, "requested: its own size from then on"
    # A position the trace never requests gets a number past the trace's.
    assert known.resolve(ObjectInfo("t", "lo", 2), 1) == 5 and known.virtual == 1
    assert known.names[5] == "t/lo/00002" and known.sizes[5] > 0
    assert known.resolve(ObjectInfo("t", "lo", 2), 1) == 5 and known.virtual == 1


def test_past_sizes_estimate_by_the_median_ratio_of_renditions() -> None:
    past = PastSizes()
    rng = random.Random(1)
    for position in range(50):
        scene = rng.uniform(0.5, 2.0)
        past.add(ObjectInfo("a", "hi", position), round(4000 * scene))
        past.add(ObjectInfo("a", "lo", position), round(1000 * scene))
    past.add(ObjectInfo("b", "hi", 3), 8000)
    assert past.estimate(ObjectInfo("b", "lo", 3)) == pytest.approx(2000, rel=0.01)
    assert past.estimate(ObjectInfo("b", "lo", 4)) is None, "position seen in no rendition"
    assert past.estimate(ObjectInfo("b", "mid", 3)) is None, "no ratio for that rendition"


def test_name_at_keeps_the_naming_scheme() -> None:
    assert name_at("t00292/360p/00000", 17) == "t00292/360p/00017"
    assert name_at("/v/12/a1/720p/seg_00001.m4s", 240) == "/v/12/a1/720p/seg_00240.m4s"
    assert describe(name_at("/v/12/a1/720p/seg_00001.m4s", 9)) == ObjectInfo("12", "720p", 9)


@pytest.mark.parametrize("seed", range(4))
def test_plans_with_unrequested_objects_fit_every_edge_and_the_fill_cap(
    tmp_path: Path, seed: int
) -> None:
    spec = WorkloadSpec(days=2, titles=30, regions=("eu",), sessions_per_day=40, seed=seed)
    trace = read_trace(_write(tmp_path / "p.csv", [line.strip() for line in generate(spec)]))
    rng = random.Random(seed)
    settings = WITH.model_copy(
        update={
            "planned_share": rng.uniform(0.3, 1.0),
            "rate_bytes_per_s": 10_000,
            "window_hours": rng.uniform(0.5, 2),
        }
    )
    known = PlanObjects(trace)
    planner: FillPlanner[int] = FillPlanner(
        settings, known.infos.__getitem__, known.sizes.__getitem__, known
    )
    objects = trace.regions["eu"].objects
    known.observe(objects)
    planner.record_day({"eu": Counter(objects)})
    edges = ["edge-eu-1", "edge-eu-2"]
    capacity = trace.unique_bytes // 4
    plan = planner.plan_region("eu", edges, capacity, {"edge-eu-1": {objects[0]}})
    virtual = [key for keys in plan.edges.values() for key in keys if key >= len(trace.names)]
    assert virtual, "the plan names objects nobody requested"
    for keys in plan.edges.values():
        assert sum(known.sizes[key] for key in keys) <= capacity * settings.planned_share
    per_edge = Counter[str]()
    for order in plan.fills.orders:
        assert order.size == known.sizes[order.key] > 0
        per_edge[order.edge] += order.size
        if order.key >= len(trace.names):
            assert order.source == ORIGIN, "nobody holds an object nobody requested"
    assert all(total <= planner.fill_cap_bytes for total in per_edge.values())


def _lines(spec: WorkloadSpec) -> list[str]:
    return [line.strip() for line in generate(spec)]


@pytest.mark.parametrize("fills_per_day", [1, 2])
def test_a_different_future_changes_nothing_before_it(tmp_path: Path, fills_per_day: int) -> None:
    base = WorkloadSpec(days=3, titles=30, regions=("eu", "us"), sessions_per_day=25, seed=3,
                        returns=0.5)  # fmt: skip
    other = WorkloadSpec(**{**base.__dict__, "seed": 4})
    cut = 2 * DAY_S + (DAY_S // 2 if fills_per_day == 2 else 0)
    past = [line for line in _lines(base) if float(line.split(",")[0]) < cut]
    future = [line for line in _lines(other) if float(line.split(",")[0]) >= cut]
    original = [line for line in _lines(base) if float(line.split(",")[0]) >= cut]
    plan = WITH.model_copy(update={"planned_share": 0.5, "fills_per_day": fills_per_day})
    a, b = (
        replay_prefill(read_trace(_write(tmp_path / f"{name}.csv", past + tail)),
                       EvictionKind.S3FIFO, CAPACITY, plan)
        for name, tail in (("a", original), ("b", future))
    )  # fmt: skip
    assert [day.as_dict() for day in a.days[:2]] == [day.as_dict() for day in b.days[:2]]
    assert a.days[2].fill_bytes == b.days[2].fill_bytes > 0
    assert a.days[2].as_dict() != b.days[2].as_dict()
    without = plan.model_copy(update={"unrequested": False})
    once = replay_prefill(read_trace(tmp_path / "a.csv"), EvictionKind.S3FIFO, CAPACITY, without)
    assert a.days[2].fill_bytes != once.days[2].fill_bytes, "the setting takes effect"


def test_the_cli_flags_take_effect(tmp_path: Path) -> None:
    trace = _write(tmp_path / "c.csv", _past())
    runner = CliRunner()

    def fill_bytes(*flags: str) -> int:
        args = ["cache", "evaluate", "--trace", str(trace), "--capacity", "200000", "--policy",
                "s3fifo", "--prefill", "--fill-hour", "0", "--planned-share", "1",
                "--no-auto-share", "--json", *flags]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        return int(json.loads(result.output)["results"][0]["fill_bytes"])

    assert fill_bytes("--unrequested") > fill_bytes("--no-unrequested")

    def unrequested(*flags: str) -> int:
        args = ["cache", "plan", "--log", str(trace), "--capacity", "200000", "--fill-hour", "0",
                "--json", *flags]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        edges = json.loads(result.output)["regions"]["eu"]["edges"]
        return sum(int(edge["unrequested"]) for edge in edges)

    assert unrequested("--unrequested") == 4  # lo/4..7
    assert unrequested("--no-unrequested") == 0


def test_the_replay_holds_virtual_objects_within_capacity_and_the_fill_cap(tmp_path: Path) -> None:
    spec = WorkloadSpec(days=3, titles=40, regions=("eu", "us"), sessions_per_day=40, seed=8)
    trace = read_trace(_write(tmp_path / "v.csv", _lines(spec)))
    windows = 2
    plan = WITH.model_copy(
        update={"fills_per_day": windows, "rate_bytes_per_s": 20_000, "window_hours": 1}
    )
    capacity = trace.unique_bytes // 5
    cap = plan.rate_bytes_per_s * 3600
    virtual_pinned: list[int] = []

    def checked(
        budget: ByteBudget[int],
        objects: list[int],
        sizes: list[int],
        pinned: set[int],
        times: Sequence[float],
        titles: Sequence[int],
    ) -> Tally:
        # The plan's part (capacity - the reactive budget) and the reactive part's contents
        # add up to at most the region's capacity, virtual objects included.
        assert 0 <= budget.capacity_bytes <= capacity
        assert budget.used_bytes <= budget.capacity_bytes
        virtual_pinned.append(sum(1 for key in pinned if key >= len(trace.names)))
        return serve(budget, objects, sizes, pinned, times, titles)

    result = replay_prefill(trace, EvictionKind.S3FIFO, capacity, plan, serve_requests=checked)
    assert max(virtual_pinned) > 0, "objects the trace never requests were planned and held"
    for day in result.days:
        assert day.fill_bytes <= windows * cap * len(trace.regions)
