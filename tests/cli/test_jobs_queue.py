"""`vodstack jobs` with the platform down (straight from the database): the queue, the priority
command, and what the demo media step is doing before its jobs exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from vodstack.config.secrets import with_secrets
from vodstack.config.settings import DEFAULT_PORTS, load_settings
from vodstack.demo.preparation import DemoPreparation, write_preparation
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.supervisor.launcher import free_port


def _vodstack(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    # Ports nobody listens on: never a platform another test (or person) is running.
    env["VODSTACK_PORTS"] = json.dumps({name: free_port() for name in DEFAULT_PORTS})
    env["COLUMNS"] = "200"
    command = [sys.executable, "-m", "vodstack", *args, "--data-dir", str(data_dir)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_queue_spots_priority_and_the_demo_step(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = with_secrets(load_settings(data_dir=data_dir))
    engine, sessions = open_database(settings)
    queue = JobQueue(sessions, settings.pipeline)
    first, second = queue.create_job(1, "masters/1/a.mp4"), queue.create_job(2, "masters/2/b.mp4")
    engine.dispose()
    now = time.time()
    making = DemoPreparation(
        total=18, uploaded=2, current="Lumen Drift", started_at=now, updated_at=now
    )
    write_preparation(settings, making)

    listed = _vodstack(data_dir, "jobs")
    assert listed.returncode == 0, listed.stderr
    assert "demo media: making the master of 'Lumen Drift' (2 of 18 uploaded)" in listed.stdout
    assert "#1 in queue" in listed.stdout and "#2 in queue" in listed.stdout

    raised = _vodstack(data_dir, "jobs", "priority", str(second), "4")
    assert raised.returncode == 0, raised.stderr
    assert f"job {second}: priority 4 (#1 in queue" in raised.stdout
    show = _vodstack(data_dir, "jobs", "show", str(first))
    assert "#2 in queue" in show.stdout

    missing = _vodstack(data_dir, "jobs", "priority", "999", "1")
    assert missing.returncode == 1 and "no job 999" in missing.stdout

    write_preparation(settings, making.model_copy(update={"finished": True}))
    assert "demo media" not in _vodstack(data_dir, "jobs").stdout
