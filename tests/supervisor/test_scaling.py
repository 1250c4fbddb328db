"""From control.json to actions: how many instances to start, which to drain, hold, release;
where instances are placed."""

from __future__ import annotations

from pathlib import Path

from vodstack.config import load_settings
from vodstack.config.settings import ScaleSettings
from vodstack.supervisor.control import Control, read_control, update_control
from vodstack.supervisor.instances import place, port_for
from vodstack.supervisor.process import ManagedProcess, ProcessState
from vodstack.supervisor.registry import ServiceSpec
from vodstack.supervisor.scaling import plan

CATALOG = ServiceSpec("catalog", "vodstack.services.catalog.app:create_app", port=8102)
EVENTS = ServiceSpec("events", "vodstack.services.events.app:create_app", port=8105)
GATEWAY = ServiceSpec("gateway", "vodstack.gateway.app:create_app", tier=9, port=8000)


def running(spec: ServiceSpec, index: int, tmp: Path, state: ProcessState) -> ManagedProcess:
    name = spec.name if index == 1 else f"{spec.name}-{index}"
    proc = ManagedProcess(spec, spec.port, tmp / "s.json", tmp, instance=name)
    proc.state = state
    return proc


def test_scaling_up_starts_the_missing_instances_with_free_numbers(tmp_path: Path) -> None:
    procs = [running(CATALOG, 1, tmp_path, ProcessState.HEALTHY)]
    actions = plan(procs, Control(instances={"catalog": 3}), ScaleSettings())
    assert actions.start == [("catalog", 2), ("catalog", 3)]
    assert actions.drain == []


def test_scaling_down_drains_the_highest_numbered_instances_first(tmp_path: Path) -> None:
    procs = [running(CATALOG, i, tmp_path, ProcessState.HEALTHY) for i in (1, 2, 3)]
    actions = plan(procs, Control(instances={"catalog": 1}), ScaleSettings())
    assert [p.name for p in actions.drain] == ["catalog-3", "catalog-2"]
    assert actions.start == []


def test_a_draining_instance_is_not_counted_and_keeps_its_number(tmp_path: Path) -> None:
    procs = [
        running(CATALOG, 1, tmp_path, ProcessState.HEALTHY),
        running(CATALOG, 2, tmp_path, ProcessState.DRAINING),
    ]
    actions = plan(procs, Control(instances={"catalog": 2}), ScaleSettings())
    assert actions.start == [("catalog", 3)]


def test_without_a_wish_the_settings_count_holds(tmp_path: Path) -> None:
    procs = [running(CATALOG, 1, tmp_path, ProcessState.HEALTHY)]
    assert plan(procs, None, ScaleSettings(instances={"catalog": 2})).start == [("catalog", 2)]
    assert plan(procs, Control(), ScaleSettings()).start == []


def test_unscalable_services_are_left_alone(tmp_path: Path) -> None:
    procs = [running(EVENTS, 1, tmp_path, ProcessState.HEALTHY)]
    actions = plan(procs, Control(instances={"events": 3}), ScaleSettings())
    assert actions.start == [] and actions.drain == []


def test_held_down_instances_are_held_once_and_released_when_the_wish_is_gone(
    tmp_path: Path,
) -> None:
    up = running(CATALOG, 1, tmp_path, ProcessState.HEALTHY)
    down = running(GATEWAY, 2, tmp_path, ProcessState.DOWN)
    actions = plan([up, down], Control(held_down=["catalog", "gateway-2"]), ScaleSettings())
    assert actions.hold == [up] and actions.release == []
    actions = plan([up, down], Control(), ScaleSettings())
    assert actions.hold == [] and actions.release == [down]


def test_instances_are_placed_round_robin_over_regions(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)  # regions eu, us
    assert [place(settings, CATALOG, k).region for k in (1, 2, 3)] == ["eu", "us", "eu"]
    assert place(settings, CATALOG, 2).name == "catalog-2"
    assert place(settings, EVENTS, 1).region is None
    edge = ServiceSpec("edge-us-1", "vodstack.cdn.server:run_edge", port=8122)
    assert place(settings, edge, 1).region == "us"


def test_gateways_share_their_port_and_other_extra_instances_get_their_own(
    tmp_path: Path,
) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert port_for(place(settings, GATEWAY, 3)) == 8000
    assert port_for(place(settings, CATALOG, 1)) == 8102
    assert port_for(place(settings, CATALOG, 2)) not in (0, 8102)


def test_control_updates_keep_each_others_changes(tmp_path: Path) -> None:
    path = tmp_path / "run" / "control.json"
    update_control(path, lambda c: c.model_copy(update={"instances": {"catalog": 2}}))
    update_control(path, lambda c: c.model_copy(update={"held_down": ["edge-eu-1"]}))
    assert read_control(path) == Control(instances={"catalog": 2}, held_down=["edge-eu-1"])
