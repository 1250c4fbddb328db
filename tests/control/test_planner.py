"""The fill planner: capacity and fill-rate limits hold, edges get complementary titles."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from vodstack.cdn.cache.trace import format_request, parse_lines, title_of
from vodstack.config.settings import FillPlanSettings
from vodstack.control.fills import ORIGIN, schedule
from vodstack.control.history import TitlePlays, learn_from_log
from vodstack.control.objects import describe, rendition_of
from vodstack.control.placement import choose, spread
from vodstack.control.planner import FillPlanner

EDGES = ["edge-eu-1", "edge-eu-2", "edge-eu-3"]


def _objects(rng: random.Random) -> dict[str, int]:
    return {
        f"t{title}/{rung}/{segment:05d}": rng.randint(100, 5000)
        for title in range(30)
        for rung in ("480p", "1080p")
        for segment in range(rng.randint(1, 12))
    }


def _day(rng: random.Random, sizes: dict[str, int]) -> Counter[str]:
    keys = list(sizes)
    weights = [1 / (1 + int(title_of(key)[1:])) for key in keys]
    return Counter(rng.choices(keys, weights, k=2000))


@pytest.mark.parametrize("seed", range(5))
def test_plans_fit_every_edge_and_fills_stay_under_the_cap(seed: int) -> None:
    rng = random.Random(seed)
    sizes = _objects(rng)
    settings = FillPlanSettings(planned_share=rng.uniform(0.3, 1.0), rate_bytes_per_s=2,
                                window_hours=rng.uniform(0.5, 2))  # fmt: skip
    planner: FillPlanner[str] = FillPlanner(settings, describe, sizes.__getitem__)
    for _ in range(3):
        planner.record_day({"eu": _day(rng, sizes)})
    capacity = rng.randint(5_000, 40_000)
    holdings = {edge: set(rng.sample(list(sizes), 10)) for edge in EDGES}
    plan = planner.plan_region("eu", EDGES, capacity, holdings)
    for keys in plan.edges.values():
        assert sum(sizes[key] for key in keys) <= capacity * settings.planned_share
    per_edge = Counter[str]()
    for order in plan.fills.orders:
        per_edge[order.edge] += order.size
        assert order.key not in holdings[order.edge], "never fetch what the edge holds"
        if order.source != ORIGIN:
            assert order.key in holdings[order.source], "a peer source holds the object"
    assert all(total <= planner.fill_cap_bytes for total in per_edge.values())
    assert plan.edges and any(plan.edges.values())


def test_edges_hold_complementary_titles() -> None:
    sizes = {f"t{title}/720p/{segment}": 10 for title in range(12) for segment in range(3)}
    chosen = choose(dict.fromkeys(sizes, 1.0), sizes.__getitem__, 360)
    plan = spread(chosen, title_of, sizes.__getitem__, EDGES, 120)
    titles = [{title_of(key) for key in keys} for keys in plan.values()]
    assert sum(len(t) for t in titles) == 12, "each title on exactly one edge"
    assert all(len(t) == 4 for t in titles), "rendezvous spreads titles over all edges"


def test_choose_takes_the_most_requested_objects_that_fit() -> None:
    expected = {"a": 5.0, "b": 9.0, "c": 1.0, "d": 7.0}
    sizes = {"a": 10, "b": 30, "c": 10, "d": 25}
    assert choose(expected, sizes.__getitem__, 40) == ["b", "a"]


def test_fill_orders_prefer_a_peer_and_respect_the_cap() -> None:
    plan = {"e1": ["x", "y", "z"], "e2": []}
    fills = schedule(plan, {"e1": set(), "e2": {"y"}}, {"x": 6, "y": 3, "z": 5}.__getitem__, 9)
    assert [(o.key, o.source) for o in fills.orders] == [("x", ORIGIN), ("y", "e2")]
    assert fills.deferred == [("e1", "z")]
    assert fills.bytes_by_source() == {ORIGIN: 6, "peer": 3}


def test_forecast_prefers_recent_popularity() -> None:
    sizes = {"old/1080p/1": 1, "new/1080p/1": 1}
    planner: FillPlanner[str] = FillPlanner(FillPlanSettings(), describe, sizes.__getitem__)
    planner.record_day({"eu": {"old/1080p/1": 100}})
    planner.record_day({"eu": {"old/1080p/1": 5, "new/1080p/1": 60}})
    expected = planner.forecast.expected_requests("eu")
    assert expected["new/1080p/1"] > expected["old/1080p/1"]
    assert planner.forecast.expected_requests("us") == {}


def test_object_names() -> None:
    assert title_of("t1/720p/00003") == "t1" and rendition_of("t1/720p/00003") == "720p"
    assert title_of("/v/t1/3/720p/seg_1.m4s") == "t1"
    assert rendition_of("/v/t1/3/720p/seg_1.m4s") == "720p"
    assert title_of("plainkey") == "plainkey" and rendition_of("plainkey") == ""


def test_describe_reads_title_rendition_and_segment() -> None:
    assert describe("t1/720p/00003") == ("t1", "720p", 3)
    assert describe("/v/t1/3/720p/seg_00012.m4s") == ("t1", "720p", 12)
    assert describe("/v/t1/3/master.m3u8") == ("t1", "", None)
    assert describe("abc") == ("abc", "", None)


def test_plays_set_title_demand_through_requests_per_play() -> None:
    """Plays from days the request log does not cover still count, converted to requests by
    what a play of that title requested on the days both sources saw it."""
    names = ["a/1080p/00001", "a/1080p/00002", "b/1080p/00001", "b/1080p/00002"]
    day = 86400
    lines = [format_request(day + 3600 * 6 + n, name, 10, "eu") for n, name in enumerate(names)]
    log = parse_lines(lines, "log")  # day 1: each title once per segment
    plays = [
        TitlePlays("a", "eu", 6 + 24, 1),  # day 1: one play each, two requests per play
        TitlePlays("b", "eu", 6 + 24, 1),
        TitlePlays("b", "eu", 6, 30),  # day 0, before the log: thirty plays of b
    ]

    def planner() -> FillPlanner[int]:
        infos = [describe(name) for name in log.names]
        return FillPlanner(FillPlanSettings(), infos.__getitem__, log.sizes.__getitem__)

    without, with_plays = planner(), planner()
    assert learn_from_log(without, log, 4) == 1
    assert learn_from_log(with_plays, log, 4, plays) == 2
    alone = without.forecast.title_demand("eu")
    assert alone["a"] == pytest.approx(alone["b"])
    learnt = with_plays.forecast.title_demand("eu")
    # b: 60 requests two days back (half-life one day) and 2 yesterday, over its 2 days.
    assert learnt["b"] > 3 * learnt["a"]
    assert learnt["a"] == pytest.approx(alone["a"])


def test_region_pooling_pulls_a_region_towards_the_titles_demand_everywhere() -> None:
    sizes = {"a/1080p/1": 1, "b/1080p/1": 1}
    settings = FillPlanSettings(region_pooling=0.5)
    planner: FillPlanner[str] = FillPlanner(settings, describe, sizes.__getitem__)
    planner.record_day({"eu": {"a/1080p/1": 10}, "us": {"a/1080p/1": 10, "b/1080p/1": 90}})
    eu = planner.forecast.title_demand("eu")
    # eu never saw b, but b is most of the demand elsewhere: it gets half of eu's share of it.
    assert eu["b"] > 0 and eu["a"] > eu["b"]
    alone = FillPlanner(FillPlanSettings(), describe, sizes.__getitem__)
    alone.record_day({"eu": {"a/1080p/1": 10}, "us": {"a/1080p/1": 10, "b/1080p/1": 90}})
    assert "b" not in alone.forecast.title_demand("eu")


def test_the_position_model_forecasts_unwatched_renditions_from_the_catalogue() -> None:
    """A title's demand is its viewings from the start; each object gets the catalogue's
    requests per viewing at its (rendition, position), so one viewer's choice of rendition
    yesterday does not decide which rendition is planned for tomorrow's."""
    day = {
        # "big": ten viewings from the start, half at 1080p and half at 720p, to position 5.
        **{f"big/1080p/{p:05d}": 5 for p in range(6)},
        **{f"big/720p/{p:05d}": 5 for p in range(6)},
        # "one": a single viewing, at 720p; its 1080p objects were seen once, long ago.
        **{f"one/720p/{p:05d}": 1 for p in range(6)},
    }
    earlier = {f"one/1080p/{p:05d}": 1 for p in range(6)}
    sizes = dict.fromkeys([*day, *earlier], 1)
    settings = FillPlanSettings(position_model=True)
    planner: FillPlanner[str] = FillPlanner(settings, describe, sizes.__getitem__)
    planner.record_day({"eu": earlier})
    planner.record_day({"eu": day})
    expected = planner.forecast.expected_requests("eu")
    # Both renditions of "one" are forecast alike, as the catalogue splits viewings evenly.
    assert expected["one/1080p/00002"] == pytest.approx(expected["one/720p/00002"], rel=0.35)
    assert expected["big/1080p/00002"] > 5 * expected["one/1080p/00002"]
