"""Issue 12 chaos probes, as tests: kill -9 and SIGSTOP of real processes of a real platform.

- kill -9 of the supervisor (`vodstack up`) leaves no service, worker or ffmpeg alive;
- kill -9 of the pipeline's worker pool process (`pipeline-workers`) leaves none of its workers
  alive, and the restarted process runs a fresh pool of the same size (never old workers beside
  new ones);
- a SIGSTOPped (frozen) service is replaced after failing its health checks;
- `vodstack ingest --wait` rides out a pipeline restart (API and pool) in the middle of the
  encode;
- the headless player's final stop rides out a playback-service restart, and the completion is
  recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.waiting import eventually
from vodstack.core.processes import ProcessIdentity, descendants_of, kill_identity
from vodstack.pipeline.media import pattern_clip
from vodstack.player.headless.events import EventReporter
from vodstack.player.headless.gateway import GatewaySession
from vodstack.player.headless.player import HeadlessPlayer, PlayOptions
from vodstack.player.headless.report import SegmentRecord
from vodstack.supervisor.launcher import RunningPlatform, platform_env, running_platform
from vodstack.supervisor.status import ServiceStatus

pytestmark = pytest.mark.slow

TITLE = "Chaos Pattern"
CLIP_S = 16  # four 4 s segments


def _service(platform: RunningPlatform, name: str) -> ServiceStatus:
    return next(svc for svc in platform.status().services if svc.name == name)


def _tree(pid: int) -> list[ProcessIdentity]:
    return [i for p in descendants_of(pid) if (i := ProcessIdentity.of(p)) is not None]


def _workers(pid: int) -> list[ProcessIdentity]:
    return [i for i in _tree(pid) if "spawn_main" in i.cmdline]


def _restarted(platform: RunningPlatform, before: ServiceStatus) -> Callable[[], bool]:
    def check() -> bool:
        now = _service(platform, before.name)
        return now.restarts > before.restarts and now.state == "healthy"

    return check


@contextlib.contextmanager
def _no_survivors(processes: list[ProcessIdentity]) -> Iterator[None]:
    """On the way out (failed or not), kill what the test found alive, so nothing leaks."""
    try:
        yield
    finally:
        for process in processes:
            kill_identity(process)


def _plant_stale_service(ledger: Path, dead_owner: subprocess.Popen[bytes], stale: int) -> None:
    """A record as a supervisor that died leaves it, naming one service that outlived it."""
    owner_id, stale_id = ProcessIdentity.of(dead_owner.pid), ProcessIdentity.of(stale)
    assert owner_id is not None and stale_id is not None
    dead_owner.kill()
    dead_owner.wait()
    record = {"owner": asdict(owner_id), "children": [asdict(stale_id)]}
    ledger.mkdir(parents=True, exist_ok=True)
    (ledger / f"{owner_id.pid}-{owner_id.started}.json").write_text(json.dumps(record))


def test_kill_9_of_the_supervisor_leaves_no_process_and_the_next_up_sweeps(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    with running_platform(data_dir) as platform:
        started = _tree(platform.process.pid)
        names = {svc.name for svc in platform.status().services}
        assert len(started) >= len(names), "every service runs below the supervisor"
        assert [i for i in started if "spawn_main" in i.cmdline], "pipeline workers run too"
        with _no_survivors(started):
            platform.process.send_signal(signal.SIGKILL)
            platform.process.wait()
            eventually(
                lambda: not [i for i in started if i.running()], timeout_s=30, interval_s=0.2
            )

    # Where no parent-death signal exists, a killed supervisor's services would live on; the
    # record it keeps lets the next `vodstack up` on the same data find and kill them.
    dead_owner = subprocess.Popen(["sleep", "300"])
    stale = subprocess.Popen(["sleep", "300"], start_new_session=True)  # a leftover service
    ledger = data_dir / "run" / "services"
    try:
        _plant_stale_service(ledger, dead_owner, stale.pid)
        with running_platform(data_dir) as again:
            assert stale.wait(timeout=30) == -signal.SIGKILL
            assert f"left by a previous run (pids [{stale.pid}])" in again.log_path.read_text()
            assert len(list(ledger.glob("*.json"))) == 1, "only the running supervisor's record"
        assert not list(ledger.glob("*.json")), "a clean stop leaves no record"
    finally:
        for process in (dead_owner, stale):
            if process.poll() is None:
                process.kill()
            process.wait()


def test_kill_9_of_the_pipeline_leaves_no_worker_behind(platform: RunningPlatform) -> None:
    before = _service(platform, "pipeline-workers")
    assert before.pid is not None
    old_tree = _tree(before.pid)
    old_workers = [i for i in old_tree if "spawn_main" in i.cmdline]
    assert old_workers
    with _no_survivors(old_tree):
        os.kill(before.pid, signal.SIGKILL)
        eventually(lambda: not [i for i in old_tree if i.running()], timeout_s=30, interval_s=0.2)
    eventually(_restarted(platform, before), timeout_s=60, interval_s=0.2)
    pid = _service(platform, "pipeline-workers").pid
    assert pid is not None
    eventually(lambda: len(_workers(pid)) == len(old_workers), timeout_s=60, interval_s=0.2)


def test_a_frozen_service_is_killed_and_replaced(platform: RunningPlatform) -> None:
    before = _service(platform, "catalog")
    assert before.pid is not None
    os.kill(before.pid, signal.SIGSTOP)
    try:
        eventually(_restarted(platform, before), timeout_s=90, interval_s=0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(before.pid, signal.SIGCONT)
    after = _service(platform, "catalog")
    assert after.pid != before.pid
    assert after.last_restart is not None and "failed health checks" in after.last_restart
    assert ProcessIdentity.of(before.pid) is None, "the frozen process is gone, not left stopped"
    log = platform.log_path.read_text(errors="replace")
    assert "catalog is not answering" in log


@dataclass
class Ingested:
    returncode: int
    output: str
    killed: list[ProcessIdentity]  # the pipeline's processes at the kill (workers, ffmpeg)
    survivors: list[ProcessIdentity]  # those still alive 30 s later


@pytest.fixture(scope="module")
def ingested(platform: RunningPlatform, tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    """`vodstack ingest --wait` of a clip, with the pipeline (its API and its worker pool)
    killed (-9) during its encode."""
    folder = tmp_path_factory.mktemp("chaos-ingest")
    source = pattern_clip(folder / "clip.mp4", CLIP_S)
    command = [sys.executable, "-m", "vodstack", "ingest", str(source), "--title", TITLE, "--wait"]
    env = platform_env(platform.data_dir, platform.ports, {})
    out = folder / "ingest.log"
    with out.open("w") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        api, pool = _service(platform, "pipeline"), _service(platform, "pipeline-workers")
        assert api.pid is not None and pool.pid is not None

        def encoding() -> bool:
            return any("ffmpeg" in i.cmdline.split(" ", 1)[0] for i in _tree(pool.pid or 0))

        eventually(encoding, timeout_s=300, interval_s=0.2)
        killed = _tree(pool.pid) + _tree(api.pid)
        with _no_survivors(killed):
            os.kill(api.pid, signal.SIGKILL)
            os.kill(pool.pid, signal.SIGKILL)
            with contextlib.suppress(AssertionError):
                eventually(
                    lambda: not [i for i in killed if i.running()], timeout_s=30, interval_s=0.2
                )
            survivors = [i for i in killed if i.running()]
        returncode = process.wait(timeout=900)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return Ingested(returncode, out.read_text(errors="replace"), killed, survivors)


def test_kill_9_of_the_pipeline_mid_encode_leaves_no_ffmpeg(ingested: Ingested) -> None:
    assert [i for i in ingested.killed if "ffmpeg" in i.cmdline.split(" ", 1)[0]]
    assert ingested.survivors == []


def test_ingest_wait_survives_a_pipeline_restart(ingested: Ingested) -> None:
    assert ingested.returncode == 0, ingested.output
    assert "pipeline restarting, retrying" in ingested.output
    assert "published" in ingested.output


@pytest.fixture
def viewer(platform: RunningPlatform) -> Iterator[GatewaySession]:
    logins = platform.logins()
    with GatewaySession(platform.url) as session:
        session.log_in(logins["viewer_email"], logins["viewer_password"])
        session.choose_profile()
        yield session


def test_final_stop_survives_a_playback_restart(
    platform: RunningPlatform, ingested: Ingested, viewer: GatewaySession
) -> None:
    assert ingested.returncode == 0, ingested.output
    title_id = viewer.find_title(TITLE)
    # A resume point at 2 s (the history service's, from a stop event): only a recorded
    # completion clears it.
    first = viewer.start(title_id)
    events = EventReporter(viewer)
    events.record("stop", session_id=first.play_session_id, title_id=title_id, position_s=2.0)
    assert events.flush(), events.problems
    viewer.stop(first.play_session_id, 2.0, False)
    eventually(
        lambda: _resume_point(viewer, title_id) == pytest.approx(2.0),
        timeout_s=30,
        interval_s=0.5,
        message="the stop event never became a resume point",
    )

    before = _service(platform, "playback")
    assert before.pid is not None

    def kill_playback(segment: SegmentRecord) -> None:
        if segment.index == CLIP_S // 4 - 1:  # the last segment: only the stop is left
            os.kill(before.pid or 0, signal.SIGKILL)

    player = HeadlessPlayer(viewer, PlayOptions(resume=False, on_segment=kill_playback))
    try:
        report = player.play(title_id)
    finally:
        player.close()
    assert [e for e in report.errors if e.startswith("stop playback")], "the stop was retried"
    assert _service(platform, "playback").pid != before.pid
    eventually(
        lambda: _resume_point(viewer, title_id) == 0,
        timeout_s=30,
        interval_s=0.5,
        message="the completion was never recorded",
    )


def _resume_point(viewer: GatewaySession, title_id: int) -> float:
    """A start's resume point (the session stopped again at once, not moving it)."""
    answer = viewer.start(title_id)
    viewer.stop(answer.play_session_id, answer.resume_position_s, False)
    return answer.resume_position_s


@pytest.mark.parametrize(
    "name", ["gateway", "accounts", "catalog", "playback", "origin", "edge-eu-1"]
)
def test_kill_9_of_each_service_is_survived(platform: RunningPlatform, name: str) -> None:
    """The probe behind issue 12, per service: kill -9 under a signed-in viewer; the supervisor
    restarts it, and the same viewer's session (kept in the accounts database) still browses."""
    logins = platform.logins()
    with GatewaySession(platform.url) as viewer:
        viewer.log_in(logins["viewer_email"], logins["viewer_password"])
        viewer.choose_profile()
        before = _service(platform, name)
        assert before.pid is not None
        os.kill(before.pid, signal.SIGKILL)
        eventually(_restarted(platform, before), timeout_s=90, interval_s=0.2)
        assert ProcessIdentity.of(before.pid) is None
        after = _service(platform, name)
        assert after.pid != before.pid
        assert httpx.get(f"{platform.service_url(name)}/healthz", timeout=5).status_code == 200
        # Through the gateway, signed in before the kill: the session outlived the process.
        titles = viewer.resilient("browse", lambda: viewer.get("/api/titles"))
        assert titles.status_code == 200
