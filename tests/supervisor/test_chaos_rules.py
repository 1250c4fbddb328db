"""Who may run chaos and on what: opt-in, the platform's owner only, known services and
regions, and a region that holds a service's last instance refused without --force."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vodstack.config import Settings, load_settings
from vodstack.core.chaos import LatencyRule
from vodstack.supervisor import chaos
from vodstack.supervisor.chaos import ChaosRefused
from vodstack.supervisor.control import control_path, read_control
from vodstack.supervisor.status import (
    PlatformStatus,
    ServiceStatus,
    write_settings_file,
    write_status,
)

OTHER_UID = 4242


def instance(name: str, service: str, region: str | None) -> ServiceStatus:
    return ServiceStatus(
        name=name, service=service, region=region, state="healthy", pid=None, port=1,
        url="http://127.0.0.1:1", restarts=0, uptime_s=1.0, last_exit=None, log="-",
    )  # fmt: skip


def platform(tmp_path: Path, *, enabled: bool = True) -> Settings:
    """The files a running platform leaves in its run directory (this test process as its
    supervisor): its settings and its status."""
    settings = load_settings(data_dir=tmp_path, chaos={"enabled": enabled})
    write_settings_file(settings)
    services = [
        instance("gateway", "gateway", "eu"),
        instance("gateway-2", "gateway", "us"),
        instance("catalog", "catalog", "eu"),
        instance("events", "events", None),
        instance("edge-eu-1", "edge-eu-1", "eu"),
        instance("edge-us-1", "edge-us-1", "us"),
    ]
    write_status(
        settings,
        PlatformStatus(
            supervisor_pid=os.getpid(), gateway_url="-", updated_at=0, services=services
        ),
    )
    return settings


def test_chaos_is_refused_unless_the_platform_opted_in(tmp_path: Path) -> None:
    settings = platform(tmp_path, enabled=False)
    with pytest.raises(ChaosRefused, match="VODSTACK_CHAOS__ENABLED=true"):
        chaos.open_target(settings)
    chaos.open_target(settings, experiment=False)  # the kill switch always works


def test_chaos_is_for_the_platforms_owner_only(tmp_path: Path) -> None:
    settings = platform(tmp_path)
    with pytest.raises(ChaosRefused, match="missing rights"):
        chaos.open_target(settings, uid=OTHER_UID)


def test_a_platform_that_is_not_running_is_named(tmp_path: Path) -> None:
    with pytest.raises(ChaosRefused, match="not running"):
        chaos.open_target(load_settings(data_dir=tmp_path))


def test_unknown_services_and_regions_are_named_with_what_exists(tmp_path: Path) -> None:
    target = chaos.open_target(platform(tmp_path))
    with pytest.raises(ChaosRefused, match="unknown service mars; this platform runs gateway"):
        chaos.check_services(target, ["gateway", "mars"])
    with pytest.raises(ChaosRefused, match="unknown region 'mars'; this platform has eu, us"):
        chaos.kong(target, "mars")
    with pytest.raises(ChaosRefused, match="not an HTTP API service"):
        chaos.set_latency(target, LatencyRule(service="edge-eu-1", fraction=1, delay_ms=5))


def test_kong_holds_down_everything_placed_in_the_region(tmp_path: Path) -> None:
    settings = platform(tmp_path)
    target = chaos.open_target(settings)
    assert chaos.kong(target, "us") == ["gateway-2", "edge-us-1"]
    control = read_control(control_path(settings))
    assert control is not None and control.held_down == ["gateway-2", "edge-us-1"]
    chaos.stop_all_chaos(target)
    assert read_control(control_path(settings)).held_down == []  # type: ignore[union-attr]


def test_kong_refuses_a_region_holding_a_services_last_instance_unless_forced(
    tmp_path: Path,
) -> None:
    target = chaos.open_target(platform(tmp_path))
    with pytest.raises(ChaosRefused, match="only instances of catalog"):
        chaos.kong(target, "eu")
    assert chaos.kong(target, "eu", force=True) == ["gateway", "catalog", "edge-eu-1"]


def test_every_command_is_audited(tmp_path: Path) -> None:
    target = chaos.open_target(platform(tmp_path))
    chaos.set_latency(target, LatencyRule(service="catalog", fraction=0.1, delay_ms=50))
    chaos.stop_all_chaos(target)
    lines = (target.chaos_dir / "audit.log").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["command"] for e in entries] == ["latency", "stop"]
    assert entries[0]["delay_ms"] == 50 and entries[0]["uid"] == os.geteuid()
