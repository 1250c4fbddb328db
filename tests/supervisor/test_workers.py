"""How many Celery workers `vodstack up` runs beside the services, and where it refuses to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vodstack.config.settings import (
    PipelineExecutor,
    PipelineSettings,
    StorageBackend,
    StorageSettings,
    load_settings,
)
from vodstack.supervisor.workers import worker_count

S3 = StorageSettings(backend=StorageBackend.S3, s3_endpoint="http://127.0.0.1:1")


def test_one_worker_with_the_celery_executor_unless_told_otherwise(tmp_path: Path) -> None:
    celery = PipelineSettings(executor=PipelineExecutor.CELERY)
    assert worker_count(load_settings(data_dir=tmp_path)) == 0, "local workers: none of these"
    assert worker_count(load_settings(data_dir=tmp_path, pipeline=celery, storage=S3)) == 1
    three = celery.model_copy(update={"celery_workers": 3})
    assert worker_count(load_settings(data_dir=tmp_path, pipeline=three, storage=S3)) == 3
    external = celery.model_copy(update={"celery_workers": 0})
    assert worker_count(load_settings(data_dir=tmp_path, pipeline=external, storage=S3)) == 0


def test_up_refuses_supervised_workers_on_a_local_object_store(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    env["VODSTACK_PIPELINE__EXECUTOR"] = "celery"
    command = [sys.executable, "-m", "vodstack", "up", "--data-dir", str(tmp_path / "data")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180)
    output = " ".join(result.stdout.split())
    assert result.returncode == 2, output + result.stderr
    assert 'set storage.backend = "s3"' in output
    assert "pipeline.celery_workers = 0" in output
    assert not (tmp_path / "data" / "run" / "status.json").exists(), "nothing was started"
