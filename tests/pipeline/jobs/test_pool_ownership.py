"""Issue 12, point 1: worker processes (and their ffmpeg) die with their pool.

A pool controller runs as a real process whose workers each run a real ffmpeg; the controller is
killed with SIGKILL, as a crashed or killed pipeline service would be. Nothing it started may
survive it. A pool also sweeps, at start-up, the recorded workers of a pool that died without
taking them along (where no parent-death signal exists), never a process that merely reuses a pid.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from tests.pipeline.jobs.orchestration_fakes import FakeExecutor
from tests.pipeline.jobs.ownership_fakes import controller_settings
from tests.support.waiting import eventually
from vodstack.config.settings import Settings
from vodstack.core.processes import ProcessIdentity, ProcessLedger, descendants_of
from vodstack.pipeline.jobs.pool import WorkerPool

ROOT = Path(__file__).resolve().parents[3]
FAKE = f"{FakeExecutor.__module__}:FakeExecutor"


def _identities(pids: list[int]) -> list[ProcessIdentity]:
    return [i for pid in pids if (i := ProcessIdentity.of(pid)) is not None]


def _ffmpegs(identities: list[ProcessIdentity]) -> list[ProcessIdentity]:
    return [i for i in identities if "ffmpeg" in i.cmdline.split(" ", 1)[0]]


@pytest.fixture
def controller(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.pipeline.jobs.ownership_fakes", str(tmp_path / "data")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


def test_kill_9_of_the_pool_leaves_no_worker_and_no_ffmpeg(
    controller: subprocess.Popen[str],
) -> None:
    # Both workers are busy, each with a long ffmpeg of its own.
    eventually(
        lambda: len(_ffmpegs(_identities(descendants_of(controller.pid)))) == 2,
        timeout_s=60,
        interval_s=0.1,
    )
    started = _identities(descendants_of(controller.pid))
    assert len(started) >= 4, f"two workers and two ffmpeg expected: {started}"

    os.kill(controller.pid, signal.SIGKILL)
    controller.wait()

    eventually(lambda: not [i for i in started if i.running()], timeout_s=30, interval_s=0.1)


def test_kill_9_of_a_worker_takes_its_ffmpeg_along(controller: subprocess.Popen[str]) -> None:
    eventually(
        lambda: len(_ffmpegs(_identities(descendants_of(controller.pid)))) == 2,
        timeout_s=60,
        interval_s=0.1,
    )
    ffmpeg = _ffmpegs(_identities(descendants_of(controller.pid)))[0]
    worker = ProcessIdentity.of(int(Path(f"/proc/{ffmpeg.pid}/stat").read_text().split()[3]))
    assert worker is not None and "spawn_main" in worker.cmdline
    os.kill(worker.pid, signal.SIGKILL)
    eventually(lambda: not ffmpeg.running(), timeout_s=30, interval_s=0.1)


def _dead_identity() -> ProcessIdentity:
    """The identity of a process that existed and is gone (a pool that was killed)."""
    process = subprocess.Popen(["sleep", "30"])
    identity = ProcessIdentity.of(process.pid)
    process.kill()
    process.wait()
    assert identity is not None
    return identity


def _record(directory: Path, owner: ProcessIdentity, children: list[ProcessIdentity]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    payload = {"owner": asdict(owner), "children": [asdict(c) for c in children]}
    (directory / f"{owner.pid}-{owner.started}.json").write_text(json.dumps(payload))


def test_a_new_pool_sweeps_the_workers_a_dead_pool_left(tmp_path: Path) -> None:
    settings: Settings = controller_settings(tmp_path / "data")
    stale = subprocess.Popen(["sleep", "300"])  # a worker that outlived its pool
    reused = subprocess.Popen(["sleep", "300"])  # a stranger that got a recorded pid
    try:
        stale_id = ProcessIdentity.of(stale.pid)
        reused_id = ProcessIdentity.of(reused.pid)
        assert stale_id is not None and reused_id is not None
        ledger_dir = settings.data_dir / "run" / "workers"
        _record(ledger_dir, _dead_identity(), [stale_id, replace(reused_id, started=1)])

        pool = WorkerPool(settings, executor_ref=FAKE, size=1)
        pool.start()
        try:
            assert stale.wait(timeout=10) == -signal.SIGKILL
            assert reused.poll() is None, "a pid now used by another process is left alone"
            (record,) = ledger_dir.glob("*.json")
            children = json.loads(record.read_text())["children"]
            assert [c["pid"] for c in children] == pool.pids, "the new pool records its own"
        finally:
            pool.stop(grace_s=2)
        assert not list(ledger_dir.glob("*.json")), "a pool that stopped cleanly leaves no record"
    finally:
        for process in (stale, reused):
            if process.poll() is None:
                process.kill()
            process.wait()


def test_a_sweep_spares_the_workers_of_a_pool_that_still_runs(tmp_path: Path) -> None:
    owner = subprocess.Popen(["sleep", "300"])  # another live pool on the same data dir
    child = subprocess.Popen(["sleep", "300"])
    try:
        owner_id, child_id = ProcessIdentity.of(owner.pid), ProcessIdentity.of(child.pid)
        assert owner_id is not None and child_id is not None
        _record(tmp_path, owner_id, [child_id])
        assert ProcessLedger(tmp_path).sweep() == []
        assert child.poll() is None
        owner.kill()
        owner.wait()
        assert ProcessLedger(tmp_path).sweep() == [child.pid]
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        for process in (owner, child):
            if process.poll() is None:
                process.kill()
            process.wait()
