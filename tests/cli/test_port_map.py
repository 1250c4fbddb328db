"""A partial port map is refused before anything starts, naming the services it leaves out
(they would take the default ports, where another instance may be listening)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vodstack.config.settings import DEFAULT_PORTS, load_settings
from vodstack.supervisor.launcher import free_port
from vodstack.supervisor.registry import PartialPortMap, check_port_map, platform_services


def test_vodstack_up_refuses_a_partial_vodstack_ports(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    env["VODSTACK_PORTS"] = json.dumps({"gateway": free_port()})
    command = [sys.executable, "-m", "vodstack", "up", "--data-dir", str(tmp_path / "data")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    output = " ".join(result.stdout.split())
    assert result.returncode == 2, output + result.stderr
    assert "leaves out origin, accounts, catalog, playback, pipeline" in output
    assert not (tmp_path / "data" / "run" / "status.json").exists(), "nothing was started"


def test_every_service_or_every_edge_must_be_named(tmp_path: Path) -> None:
    full = {name: free_port() for name in DEFAULT_PORTS}
    check_port_map(load_settings(data_dir=tmp_path, ports=full))  # edges on cdn.base_port + i
    check_port_map(load_settings(data_dir=tmp_path))  # the defaults are complete
    edges = [
        s.name for s in platform_services(load_settings(data_dir=tmp_path)) if "edge" in s.name
    ]
    some_edges = {**full, edges[0]: free_port()}
    with pytest.raises(PartialPortMap, match=f"leaves out {', '.join(edges[1:])};"):
        check_port_map(load_settings(data_dir=tmp_path, ports=some_edges))


def test_the_dns_server_runs_only_when_it_has_a_port(tmp_path: Path) -> None:
    names = [s.name for s in platform_services(load_settings(data_dir=tmp_path))]
    assert "dns" not in names
    settings = load_settings(data_dir=tmp_path, cdn={"dns": {"port": 8153}})
    dns = [s for s in platform_services(settings) if s.name == "dns"]
    assert len(dns) == 1 and dns[0].port == 8153
    check_port_map(settings)  # its port comes from cdn.dns, not the port map
