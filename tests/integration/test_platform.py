"""The process model, end to end: real processes, real HTTP, through the gateway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.waiting import eventually
from vodstack.supervisor.launcher import (
    RunningPlatform,
    gateway_client,
    platform_env,
    running_platform,
    stop_platform,
)
from vodstack.supervisor.status import ServiceStatus

pytestmark = pytest.mark.slow


def _service(platform: RunningPlatform, name: str) -> ServiceStatus:
    return next(svc for svc in platform.status().services if svc.name == name)


def test_every_service_is_its_own_healthy_process(platform: RunningPlatform) -> None:
    services = platform.status().services
    names = {svc.name for svc in services}
    assert {"gateway", "accounts", "catalog"} <= names
    pids = {svc.pid for svc in services}
    assert len(pids) == len(services), "each service runs in its own process"
    for svc in services:
        assert svc.state == "healthy"
        assert httpx.get(f"{svc.url}/healthz").status_code == 200
        metrics = httpx.get(f"{svc.url}/metrics").text
        if svc.name in ("origin", "planner", "dns") or svc.name.startswith("edge-"):
            # The raw-ASGI delivery tier and the control processes keep their own counters.
            assert "# TYPE vodstack_" in metrics
            continue
        assert "vodstack_http_requests_total" in metrics
        assert "vodstack_http_request_duration_seconds_bucket" in metrics


def test_status_command_reports_services(platform: RunningPlatform) -> None:
    env = platform_env(platform.data_dir, platform.ports, {})
    result = subprocess.run(
        [sys.executable, "-m", "vodstack", "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    data = json.loads(result.stdout)
    assert {svc["name"] for svc in data["services"]} >= {"gateway", "accounts", "catalog"}
    assert all(svc["live"] for svc in data["services"])


def test_request_id_reaches_the_services_logs(platform: RunningPlatform) -> None:
    logins = platform.logins()
    with gateway_client(platform) as client:
        rid = "itest-" + os.urandom(4).hex()
        response = client.post(
            "/api/auth/login",
            json={"email": logins["viewer_email"], "password": "definitely-wrong"},
            headers={"X-Request-ID": rid},
        )
        assert response.status_code == 401
        assert response.headers["x-request-id"] == rid
        assert response.json()["error"]["request_id"] == rid
    log = platform.data_dir / "logs" / "accounts.log"
    eventually(lambda: rid in log.read_text(errors="replace"), timeout_s=10, interval_s=0.2)


def test_a_crashed_service_is_restarted(platform: RunningPlatform) -> None:
    before = _service(platform, "catalog")
    assert before.pid is not None
    os.kill(before.pid, signal.SIGKILL)

    def restarted() -> bool:
        now = _service(platform, "catalog")
        return now.restarts == before.restarts + 1 and now.state == "healthy"

    eventually(restarted, timeout_s=60, interval_s=0.2)
    assert _service(platform, "catalog").pid != before.pid
    assert httpx.get(f"{platform.service_url('catalog')}/healthz").status_code == 200


def test_sigterm_stops_everything_and_a_restart_reuses_the_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with running_platform(data_dir) as first:
        logins = first.logins()
        pids = [svc.pid for svc in first.status().services]
        assert stop_platform(first) == 0
        for pid in pids:
            assert isinstance(pid, int)
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    with running_platform(data_dir) as second:
        assert second.logins() == logins
        with gateway_client(second) as client:
            response = client.post(
                "/api/auth/login",
                json={"email": logins["viewer_email"], "password": logins["viewer_password"]},
            )
            assert response.status_code == 200, response.text
        log = second.log_path.read_text()
        assert "seeded" not in log, "a second start must not seed the demo catalog again"
