"""Issue 15 points 1 and 6 against a real platform: instances, the registry, `vodstack scale`
under load, gateways sharing a port, and each chaos command on real processes.

One platform for the module (two gateway instances, chaos on); each test leaves it steady.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import select

from tests.support.service_tokens import credentials
from tests.support.waiting import eventually
from vodstack.config import Settings
from vodstack.core.processes import pid_alive
from vodstack.core.service_auth import ServiceAuth
from vodstack.discovery import RegistryClient, SqliteRegistry, registry_path
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.models import PublicationRow
from vodstack.pipeline.media import pattern_clip
from vodstack.supervisor.launcher import (
    RunningPlatform,
    gateway_client,
    platform_env,
    running_platform,
)
from vodstack.supervisor.status import ServiceStatus

pytestmark = pytest.mark.slow

SETTLE_S = 90.0
GENRES = "/v1/genres?maturity=adult"  # a read every catalog instance answers


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlatform]:
    extra = {
        "VODSTACK_SCALE__INSTANCES": '{"gateway": 2}',
        "VODSTACK_CHAOS__ENABLED": "true",
        # Eighteen processes importing at once on a loaded two-core machine: be patient.
        "VODSTACK_SUPERVISOR__START_TIMEOUT_S": "240",
    }
    data_dir = tmp_path_factory.mktemp("scale")
    with running_platform(data_dir, extra_env=extra, timeout=600) as running:
        yield running


def vodstack(platform: RunningPlatform, *args: str) -> subprocess.CompletedProcess[str]:
    env = platform_env(platform.data_dir, platform.ports, {})
    command = [sys.executable, "-m", "vodstack", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def instances(platform: RunningPlatform, service: str) -> list[ServiceStatus]:
    return [s for s in platform.status().services if s.service == service]


def steady(platform: RunningPlatform, service: str, count: int) -> Callable[[], bool]:
    def check() -> bool:
        mine = instances(platform, service)
        return len(mine) == count and all(s.state == "healthy" and s.registered for s in mine)

    return check


def running_settings(platform: RunningPlatform) -> Settings:
    return Settings.from_child_json((platform.data_dir / "run" / "settings.json").read_text())


@dataclass
class Load:
    """Requests one after another on a thread until stopped: what failed, who answered."""

    send: Callable[[], tuple[str, int]]
    expect: int = 200
    served: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                where, status = self.send()
            except httpx.HTTPError as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
                continue
            if status != self.expect:
                self.failures.append(f"{where}: {status}")
            self.served[where] += 1
            self._stop.wait(0.02)


def test_every_instance_is_registered_and_gateways_share_one_port(
    platform: RunningPlatform,
) -> None:
    gateways = instances(platform, "gateway")
    assert [g.name for g in gateways] == ["gateway", "gateway-2"]
    assert {g.port for g in gateways} == {platform.ports["gateway"]}
    assert [g.region for g in gateways] == ["eu", "us"]
    eventually(steady(platform, "gateway", 2), timeout_s=SETTLE_S)
    registry = SqliteRegistry(registry_path(running_settings(platform)), 6.0)
    listed = {lease.instance.instance_id for lease in registry.leases()}
    registry.close()
    assert {s.name for s in platform.status().services} <= listed
    shown = json.loads(ok(vodstack(platform, "status", "--json")))["services"]
    gateway_2 = next(s for s in shown if s["name"] == "gateway-2")
    assert gateway_2["registered"] and gateway_2["live"] and gateway_2["region"] == "us"


def test_scale_catalog_up_and_down_under_load_without_a_failed_request(
    platform: RunningPlatform,
) -> None:
    """Reads and writes, each picking an instance from the registry as the typed clients will;
    the writes land on one SQLite file from several processes (docs/architecture.md)."""
    settings = running_settings(platform)
    registry = SqliteRegistry(registry_path(settings), settings.scale.lease_s)
    source = RegistryClient(registry, settings.service_url, refresh_s=settings.scale.refresh_s)
    turn = iter(range(10**9))
    auth = ServiceAuth(credentials(settings), "catalog")
    with httpx.Client(timeout=10.0, auth=auth) as client:

        def pick() -> str:
            urls = source.instances("catalog")
            return urls[next(turn) % len(urls)]

        def read() -> tuple[str, int]:
            url = pick()
            return url, client.get(f"{url}{GENRES}").status_code

        def write() -> tuple[str, int]:
            url, n = pick(), next(turn)
            title = {"name": f"Scaled {n}", "year": 2020, "genres": ["Drama"]}
            return url, client.post(f"{url}/v1/titles", json=title).status_code

        with Load(read) as reads, Load(write, expect=201) as writes:
            ok(vodstack(platform, "scale", "catalog", "3"))
            eventually(lambda: len(reads.served) >= 3, timeout_s=SETTLE_S)
            ok(vodstack(platform, "scale", "catalog", "1"))
            eventually(steady(platform, "catalog", 1), timeout_s=SETTLE_S)
    registry.close()
    assert reads.failures == [] and writes.failures == []
    assert len(reads.served) == 3, "reads went to all three instances"
    assert len(writes.served) >= 2, "several processes wrote to the one SQLite file"
    assert [s.name for s in instances(platform, "catalog")] == ["catalog"]


def _genre_reads(platform: RunningPlatform, name: str) -> float:
    """How many genre listings the catalog instance `name` has answered (its /metrics)."""
    text = httpx.get(f"{_url(platform, name)}/metrics", timeout=10.0).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("vodstack_http_requests_total{") and "/v1/genres" in line
    )


def test_the_gateway_spreads_its_calls_over_the_registered_instances(
    platform: RunningPlatform,
) -> None:
    """The typed clients read the registry: a scaled-out catalog gets the gateway's traffic."""
    ok(vodstack(platform, "scale", "catalog", "3"))
    eventually(steady(platform, "catalog", 3), timeout_s=SETTLE_S)
    names = [s.name for s in instances(platform, "catalog")]
    before = {name: _genre_reads(platform, name) for name in names}
    logins = platform.logins()
    with gateway_client(platform) as client:
        body = {"email": logins["viewer_email"], "password": logins["viewer_password"]}
        client.post("/api/auth/login", json=body).raise_for_status()
        profile = client.get("/api/profiles").json()[0]["id"]
        client.post(f"/api/profiles/{profile}/select", json={}).raise_for_status()

        def spread() -> bool:
            # The clients refresh their instance list every `scale.refresh_s`: keep asking.
            for _ in range(20):
                assert client.get("/api/genres").status_code == 200
            served = [n for n in names if _genre_reads(platform, n) > before[n]]
            return len(served) == 3

        eventually(spread, timeout_s=SETTLE_S, interval_s=0.5)
    ok(vodstack(platform, "scale", "catalog", "1"))
    eventually(steady(platform, "catalog", 1), timeout_s=SETTLE_S)


def test_a_frozen_instance_leaves_the_registry_and_returns_once_replaced(
    platform: RunningPlatform,
) -> None:
    settings = running_settings(platform)
    registry = SqliteRegistry(registry_path(settings), settings.scale.lease_s)

    def listed() -> list[str]:
        return [i.instance_id for i in registry.instances("catalog")]

    try:
        ok(vodstack(platform, "scale", "catalog", "2"))
        frozen = next(s for s in instances(platform, "catalog") if s.name == "catalog-2")
        assert frozen.pid is not None and listed() == ["catalog", "catalog-2"]
        os.kill(frozen.pid, signal.SIGSTOP)
        eventually(lambda: listed() == ["catalog"], timeout_s=SETTLE_S)
        eventually(lambda: listed() == ["catalog", "catalog-2"], timeout_s=SETTLE_S)
        assert instances(platform, "catalog")[1].pid != frozen.pid
    finally:
        registry.close()
    ok(vodstack(platform, "scale", "catalog", "1"))


def test_scale_gateways_on_the_shared_port_under_load_without_a_failed_request(
    platform: RunningPlatform,
) -> None:
    # A new connection per request: the kernel spreads connections, not requests.
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=platform.url, timeout=10.0, limits=limits) as client:

        def send() -> tuple[str, int]:
            return "gateway", client.get("/login").status_code

        with Load(send) as load:
            ok(vodstack(platform, "scale", "gateway", "3"))
            ok(vodstack(platform, "scale", "gateway", "2"))
            eventually(steady(platform, "gateway", 2), timeout_s=SETTLE_S)
    assert load.failures == []
    assert load.served["gateway"] > 0


def _registry_picker(platform: RunningPlatform, service: str) -> Callable[[], str]:
    """Instances picked round robin from the registry, as the balancing clients read it."""
    settings = running_settings(platform)
    registry = SqliteRegistry(registry_path(settings), settings.scale.lease_s)
    source = RegistryClient(registry, settings.service_url, refresh_s=settings.scale.refresh_s)
    turn = iter(range(10**9))

    def pick() -> str:
        urls = source.instances(service)
        return urls[next(turn) % len(urls)]

    return pick


def test_scale_pipeline_up_and_down_under_load_without_a_failed_request(
    platform: RunningPlatform,
) -> None:
    pick = _registry_picker(platform, "pipeline")
    auth = ServiceAuth(credentials(running_settings(platform)), "pipeline")
    with httpx.Client(timeout=10.0, auth=auth) as client:

        def read() -> tuple[str, int]:
            url = pick()
            return url, client.get(f"{url}/v1/jobs?limit=5").status_code

        with Load(read) as reads:
            ok(vodstack(platform, "scale", "pipeline", "2"))
            eventually(lambda: len(reads.served) >= 2, timeout_s=SETTLE_S)
            ok(vodstack(platform, "scale", "pipeline", "1"))
            eventually(steady(platform, "pipeline", 1), timeout_s=SETTLE_S)
    assert reads.failures == []
    assert len(reads.served) == 2, "reads went to both instances"
    assert [s.name for s in instances(platform, "pipeline-workers")] == ["pipeline-workers"]


class SlowChunk:
    """A PATCH body sent in small pieces on a thread, so its instance can be killed mid-chunk."""

    def __init__(self, client: httpx.Client, url: str, offset: int, data: bytes) -> None:
        self.sent_some = threading.Event()
        self.outcome: list[str] = []
        self._args = (client, url, offset, data)
        self._thread = threading.Thread(target=self._send, daemon=True)
        self._thread.start()

    def _pieces(self, data: bytes) -> Iterator[bytes]:
        for n, start in enumerate(range(0, len(data), 4096)):
            if n == 4:
                self.sent_some.set()
            yield data[start : start + 4096]
            threading.Event().wait(0.05)

    def _send(self) -> None:
        client, url, offset, data = self._args
        try:
            headers = {"Upload-Offset": str(offset)}
            response = client.patch(url, content=self._pieces(data), headers=headers)
            self.outcome.append(str(response.status_code))
        except httpx.HTTPError as exc:
            self.outcome.append(type(exc).__name__)

    def join(self) -> None:
        self._thread.join(timeout=60)


def _finish(client: httpx.Client, url: str, data: bytes) -> tuple[dict[str, object], int]:
    """Send the rest from the server's offset, waiting out a dead writer's lease (409 busy)."""
    busy = 0
    for _ in range(60):
        offset = int(client.head(url).headers["Upload-Offset"])
        response = client.patch(url, content=data[offset:], headers={"Upload-Offset": str(offset)})
        if response.status_code == 409 and response.json()["error"]["code"] == "upload_busy":
            busy += 1
            threading.Event().wait(1.0)
            continue
        assert response.status_code == 200, response.text
        return response.json(), busy
    raise AssertionError("the upload stayed busy")


def _running_task(client: httpx.Client, url: str) -> bool:
    job = client.get(url).json()
    assert job["state"] in ("queued", "running"), job
    return any(task["state"] == "running" for task in job["tasks"])


def test_an_upload_outlives_its_instance_and_a_job_outlives_its_worker_pool(
    platform: RunningPlatform,
) -> None:
    """Chunk 2 goes to pipeline-2, killed (-9) mid-chunk; the rest goes to pipeline. The job's
    worker pool is killed (-9) mid-task: restarted, it reclaims the task; one publish."""
    settings = running_settings(platform)
    source = pattern_clip(platform.data_dir / "killed-upload.mp4", 4, size="320x180")
    data = source.read_bytes()
    auth = ServiceAuth(credentials(settings), "pipeline")
    catalog_auth = ServiceAuth(credentials(settings), "catalog")
    title = {"name": "Killed Upload", "year": 2021, "genres": ["Drama"]}
    created = httpx.post(
        f"{platform.service_url('catalog')}/v1/titles", json=title, auth=catalog_auth, timeout=10
    )
    title_id = created.json()["id"]
    ok(vodstack(platform, "scale", "pipeline", "2"))
    eventually(steady(platform, "pipeline", 2), timeout_s=SETTLE_S)
    doomed, survivor = _url(platform, "pipeline-2"), _url(platform, "pipeline")
    with httpx.Client(timeout=30.0, auth=auth) as client:
        body = {"filename": source.name, "size": len(data), "title_id": title_id}
        upload_id = client.post(f"{doomed}/v1/uploads", json=body).json()["id"]
        path = f"/v1/uploads/{upload_id}"
        third = len(data) // 3
        first = client.patch(
            f"{doomed}{path}", content=data[:third], headers={"Upload-Offset": "0"}
        )
        assert first.json()["offset"] == third
        chunk = SlowChunk(client, f"{doomed}{path}", third, data[third:])
        assert chunk.sent_some.wait(60)
        victim = next(s for s in instances(platform, "pipeline") if s.name == "pipeline-2")
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)
        chunk.join()
        assert chunk.outcome and chunk.outcome[0] != "200", chunk.outcome
        done, busy = _finish(client, f"{survivor}{path}", data)
        assert done["state"] == "complete" and done["offset"] == len(data)
        assert busy >= 1, "the killed writer's lease held the upload until it ran out"
        job = f"{survivor}/v1/jobs/{done['job_id']}"
        eventually(lambda: _running_task(client, job), timeout_s=300, interval_s=0.2)
        pool = instances(platform, "pipeline-workers")[0]
        assert pool.pid is not None
        os.kill(pool.pid, signal.SIGKILL)

        def finished() -> dict[str, object] | None:
            detail: dict[str, object] = client.get(job).json()
            return detail if detail["state"] in ("succeeded", "failed") else None

        final = eventually(finished, timeout_s=600, interval_s=1.0)
    assert final["state"] == "succeeded", final
    restarted = instances(platform, "pipeline-workers")[0]
    assert restarted.restarts > pool.restarts and restarted.pid != pool.pid
    assert _publishes(settings, int(str(done["job_id"]))) == 1
    ok(vodstack(platform, "scale", "pipeline", "1"))
    eventually(steady(platform, "pipeline", 1), timeout_s=SETTLE_S)


def _publishes(settings: Settings, job_id: int) -> int:
    """Complete (not preview) versions the job published: the outbox rows."""
    engine, sessions = open_database(settings)
    try:
        with sessions() as session:
            rows = session.scalars(
                select(PublicationRow).where(
                    PublicationRow.job_id == job_id, PublicationRow.preview.is_(False)
                )
            ).all()
            return len(rows)
    finally:
        engine.dispose()


def test_refused_scales_say_why(platform: RunningPlatform) -> None:
    unknown = vodstack(platform, "scale", "mars", "2")
    assert unknown.returncode == 2 and "unknown service 'mars'" in unknown.stdout
    stateful = vodstack(platform, "scale", "events", "2")
    assert stateful.returncode == 2 and "cannot run as several instances" in stateful.stdout


def test_chaos_monkey_kills_an_instance_and_the_other_gateway_keeps_answering(
    platform: RunningPlatform,
) -> None:
    eventually(steady(platform, "gateway", 2), timeout_s=SETTLE_S)
    before = {g.name: g for g in instances(platform, "gateway")}
    out = ok(vodstack(platform, "chaos", "monkey", "--service", "gateway", "--kills", "1"))
    killed = next(g for g in before.values() if f"killed {g.name} " in out)
    assert killed.pid is not None and not pid_alive(killed.pid)
    assert httpx.get(f"{platform.url}/login", timeout=10).status_code == 200

    def replaced() -> bool:
        now = next(g for g in instances(platform, "gateway") if g.name == killed.name)
        return now.restarts > killed.restarts and now.state == "healthy"

    eventually(replaced, timeout_s=SETTLE_S)
    audit = (platform.data_dir / "run" / "chaos" / "audit.log").read_text()
    assert '"monkey kill"' in audit and f'"pid": {killed.pid}' in audit


def test_chaos_monkey_stops_on_the_kill_switch(platform: RunningPlatform) -> None:
    env = platform_env(platform.data_dir, platform.ports, {})
    command = [sys.executable, "-m", "vodstack", "chaos", "monkey", "-s", "catalog"]
    # An earlier test's monkey is in the audit log too: wait for one more line, this monkey's,
    # or `chaos stop` could land before it started (and it would run on, rightly).
    earlier = _audit_count(platform, '"command": "monkey"')
    monkey = subprocess.Popen([*command, "--interval", "600"], env=env, stdout=subprocess.DEVNULL)
    try:
        eventually(lambda: _audit_count(platform, '"command": "monkey"') > earlier, timeout_s=60)
        ok(vodstack(platform, "chaos", "stop"))
        assert monkey.wait(timeout=30) == 0
    finally:
        monkey.kill()
        monkey.wait()
    eventually(steady(platform, "catalog", 1), timeout_s=SETTLE_S)


def _audited(platform: RunningPlatform, needle: str) -> bool:
    return _audit_count(platform, needle) > 0


def _audit_count(platform: RunningPlatform, needle: str) -> int:
    path = platform.data_dir / "run" / "chaos" / "audit.log"
    return path.read_text().count(needle) if path.is_file() else 0


def test_chaos_latency_fails_a_services_responses_until_stopped(
    platform: RunningPlatform,
) -> None:
    settings = running_settings(platform)
    auth = ServiceAuth(credentials(settings), "catalog")
    url = platform.service_url("catalog")
    with httpx.Client(base_url=url, auth=auth, timeout=10.0) as catalog:
        assert catalog.get(GENRES).status_code == 200
        ok(vodstack(platform, "chaos", "latency", "-s", "catalog", "--route", "/v1/genres",
                    "--error", "503"))  # fmt: skip

        def injected() -> httpx.Response | None:
            response = catalog.get(GENRES)
            return response if response.status_code == 503 else None

        hit = eventually(injected)
        assert hit.json()["error"]["code"] == "chaos"
        other_route = catalog.get("/v1/titles?maturity=adult")
        assert other_route.status_code == 200, "other routes are untouched"
        ok(vodstack(platform, "chaos", "stop"))
        eventually(lambda: catalog.get(GENRES).status_code == 200)
    refused = vodstack(platform, "chaos", "latency", "-s", "mars", "--error", "503")
    assert refused.returncode == 2 and "unknown service mars" in refused.stdout


def test_chaos_kong_takes_a_region_down_until_stopped(platform: RunningPlatform) -> None:
    eventually(steady(platform, "gateway", 2), timeout_s=SETTLE_S)
    refused = vodstack(platform, "chaos", "kong", "--region", "eu")
    assert refused.returncode == 2 and "only instances of accounts" in refused.stdout
    out = ok(vodstack(platform, "chaos", "kong", "--region", "us"))
    assert "edge-us-1, edge-us-2, gateway-2" in out
    down = ["edge-us-1", "edge-us-2", "gateway-2"]

    def held() -> bool:
        status = {s.name: s for s in platform.status().services}
        return all(status[n].state == "down" and status[n].pid is None for n in down)

    eventually(held, timeout_s=30)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{_url(platform, 'edge-us-1')}/healthz", timeout=5)
    assert httpx.get(f"{platform.url}/login", timeout=10).status_code == 200
    ok(vodstack(platform, "chaos", "stop"))
    eventually(steady(platform, "gateway", 2), timeout_s=SETTLE_S)
    eventually(steady(platform, "edge-us-1", 1), timeout_s=SETTLE_S)


def _url(platform: RunningPlatform, name: str) -> str:
    return next(s.url for s in platform.status().services if s.name == name)
