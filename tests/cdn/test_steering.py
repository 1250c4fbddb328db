from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.support.cdn import make_settings
from vodstack.control.steering import Steering
from vodstack.delivery.topology import Topology


class FakeHealth:
    def __init__(self) -> None:
        self.down: set[str] = set()
        self.loads: dict[str, float] = {}
        self.held: dict[str, set[str]] = {}

    def is_healthy(self, name: str) -> bool:
        return name not in self.down

    def load(self, name: str) -> float:
        return self.loads.get(name, 0.0)

    def holds(self, name: str, title_id: str) -> bool:
        return title_id in self.held.get(name, set())


@pytest.fixture
def topology(tmp_path: Path) -> Topology:
    return Topology.from_settings(
        make_settings(tmp_path, regions=["eu", "us", "ap"], edges_per_region=2)
    )


def _names(topology: Topology, urls: list[str]) -> list[str]:
    by_url = {edge.url: edge.name for edge in topology.edges}
    by_url[topology.origin_url] = "origin"
    return [by_url[url] for url in urls]


def test_same_region_first_then_other_regions_then_origin(topology: Topology) -> None:
    ranked = _names(topology, Steering(topology, FakeHealth()).rank("t1", "us"))
    assert len(ranked) == 7
    assert {ranked[0], ranked[1]} == {"edge-us-1", "edge-us-2"}
    assert {ranked[2], ranked[3]} == {"edge-eu-1", "edge-eu-2"}
    assert {ranked[4], ranked[5]} == {"edge-ap-1", "edge-ap-2"}
    assert ranked[-1] == "origin"


def test_unhealthy_edges_are_left_out(topology: Topology) -> None:
    health = FakeHealth()
    health.down = {"edge-us-1", "edge-eu-2"}
    ranked = _names(topology, Steering(topology, health).rank("t1", "us"))
    assert ranked[0] == "edge-us-2"
    assert "edge-us-1" not in ranked and "edge-eu-2" not in ranked
    assert ranked[-1] == "origin"


def test_an_unknown_region_gets_the_first_region(topology: Topology) -> None:
    ranked = _names(topology, Steering(topology, FakeHealth()).rank("t1", None))
    assert ranked[0].startswith("edge-eu-")


def test_a_title_sticks_to_its_edge_and_titles_spread(topology: Topology) -> None:
    steering = Steering(topology, FakeHealth())
    assert steering.rank("t42", "eu") == steering.rank("t42", "eu")
    firsts = Counter(_names(topology, steering.rank(f"title-{i}", "eu"))[0] for i in range(400))
    assert set(firsts) == {"edge-eu-1", "edge-eu-2"}
    assert 120 < firsts["edge-eu-1"] < 280


def test_a_busy_edge_wins_fewer_titles(topology: Topology) -> None:
    health = FakeHealth()
    health.loads = {"edge-eu-1": 200.0}
    steering = Steering(topology, health)
    firsts = Counter(_names(topology, steering.rank(f"title-{i}", "eu"))[0] for i in range(400))
    assert firsts["edge-eu-1"] < 100


def test_load_moves_only_some_titles(topology: Topology) -> None:
    health = FakeHealth()
    steering = Steering(topology, health)
    titles = [f"title-{i}" for i in range(400)]
    before = {t: _names(topology, steering.rank(t, "eu"))[0] for t in titles}
    health.loads = {"edge-eu-1": 16.0}
    after = {t: _names(topology, steering.rank(t, "eu"))[0] for t in titles}
    moved = [t for t in titles if before[t] != after[t]]
    # Titles only leave the busier edge, and only some of them.
    assert moved and all(before[t] == "edge-eu-1" for t in moved)
    assert len(moved) < 200


@pytest.mark.parametrize("title", [f"t{n}" for n in range(12)])
def test_the_edge_that_holds_the_title_comes_first_in_its_region(
    topology: Topology, title: str
) -> None:
    health = FakeHealth()
    plain = _names(topology, Steering(topology, health).rank(title, "us"))
    # Whichever us edge rendezvous ranks second, holding the title moves it to the front.
    second = plain[1]
    health.held = {second: {title}, "edge-eu-2": {title}}
    ranked = _names(topology, Steering(topology, health).rank(title, "us"))
    assert ranked[:2] == [second, plain[0]]
    # A far region's holder does not jump the viewer's region, but leads its own region.
    assert ranked[2:4] == ["edge-eu-2", "edge-eu-1"]
    assert ranked[-1] == "origin"


def test_holding_another_title_changes_nothing(topology: Topology) -> None:
    health = FakeHealth()
    plain = _names(topology, Steering(topology, health).rank("t1", "us"))
    health.held = {name: {"t2"} for name in topology.names}
    assert _names(topology, Steering(topology, health).rank("t1", "us")) == plain


def test_an_unhealthy_holder_is_still_left_out(topology: Topology) -> None:
    health = FakeHealth()
    health.held = {"edge-us-1": {"t1"}}
    health.down = {"edge-us-1"}
    ranked = _names(topology, Steering(topology, health).rank("t1", "us"))
    assert "edge-us-1" not in ranked and ranked[0] == "edge-us-2"
