"""The bad-media corpus through `vodstack ingest` (platform down: offline mode, real worker
processes): a clear error for each, a non-zero exit, and nothing published."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline.badmedia import bad_corpus
from vodstack.config.settings import DEFAULT_PORTS, load_settings
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.failures import FailureOutbox
from vodstack.storage import LocalObjectStore
from vodstack.supervisor.launcher import free_port

REFUSED = {
    "empty": "the file is empty (0 bytes)",
    "notes": "the file is not a recognised audio/video format",
    "truncated": "the upload was probably cut short",
    "song": "the file has only audio; a video stream is required",
    "tiny": "the video is 2x2; the smallest accepted frame is 32x32",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return bad_corpus(tmp_path_factory.mktemp("bad-media"))


def _ingest(data_dir: Path, source: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VODSTACK_")}
    # Ports nobody listens on: never a platform another test (or person) is running.
    env["VODSTACK_PORTS"] = json.dumps({name: free_port() for name in DEFAULT_PORTS})
    env["VODSTACK_PIPELINE__LADDER"] = json.dumps([[144, 150]])
    env["VODSTACK_PIPELINE__CHUNK_S"] = "4"
    env["VODSTACK_PIPELINE__WORKERS"] = "2"
    env["VODSTACK_PIPELINE__ENCODER_THREADS"] = "1"
    command = [sys.executable, "-m", "vodstack", "ingest", str(source), "--title-id", "7"]
    command += ["--data-dir", str(data_dir)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_bad_master_is_rejected_before_anything_is_stored(
    tmp_path: Path, corpus: dict[str, Path], name: str
) -> None:
    result = _ingest(tmp_path / "data", corpus[name])
    assert result.returncode == 2, result.stdout + result.stderr
    output = " ".join(result.stdout.split())
    assert f"rejected: {corpus[name].name}: " in output and REFUSED[name] in output
    assert not (tmp_path / "data" / "objects").exists()


def test_damaged_media_data_fails_the_job_with_the_time(
    tmp_path: Path, corpus: dict[str, Path]
) -> None:
    data_dir = tmp_path / "data"
    result = _ingest(data_dir, corpus["zeroed"])
    output = " ".join(result.stdout.split())
    assert result.returncode == 1, output + result.stderr
    assert re.search(r"failed: .*corrupt (video|audio) data near 00:00:0[12]\.\d", output), output
    assert LocalObjectStore(data_dir / "objects").list("titles/") == []
    # The catalog is told (title 7 flagged failed for the admins) once the platform runs.
    engine, sessions = open_database(load_settings(data_dir=data_dir))
    failure = FailureOutbox(sessions).latest(7)
    engine.dispose()
    assert failure is not None and "corrupt" in failure.reason
