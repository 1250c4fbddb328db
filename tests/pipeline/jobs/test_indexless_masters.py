"""MPEG-TS masters (no index: OBS and broadcast recorders write them) are published like any.

Before they were remuxed on submit, a long-GOP one failed its job: an ffmpeg seek into a TS
lands past the keyframe before it, so a chunk's split came out empty and the thumbnails had no
frame. A TS whose timestamps jump (two recordings joined) was planned at the jump's length.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.pipeline.jobs.orchestration_fakes import drain
from tests.pipeline.jobs.test_media_pipeline import _settings, _worker
from vodstack.contracts.pipeline import JobDetail
from vodstack.delivery.assets import asset_key_prefix
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.states import JobState
from vodstack.pipeline.jobs.submit import submit_master
from vodstack.pipeline.media import ffmpeg_exe, validate_asset
from vodstack.storage import LocalObjectStore


def _transport_stream(path: Path, seconds: int, *extra: str) -> Path:
    subprocess.run(
        [
            ffmpeg_exe(), "-y", "-v", "error",
            "-f", "lavfi", "-i", f"testsrc2=s=320x240:r=25:d={seconds}",
            "-f", "lavfi", "-i", f"sine=d={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "250", "-c:a", "aac",
            *extra, "-f", "mpegts", str(path),
        ],
        check=True, timeout=60,
    )  # fmt: skip
    return path


def _publish(tmp_path: Path, master: Path) -> JobDetail:
    settings = _settings(tmp_path / "data")
    engine, sessions = open_database(settings)
    store = LocalObjectStore(settings.data_dir / "objects")
    queue = JobQueue(sessions, settings.pipeline)
    submitted = submit_master(store, queue, 1, master, name="m", filename=master.name, move=False)
    drain(_worker(settings, sessions))
    job = job_detail(sessions, submitted.job_id)
    engine.dispose()
    errors = [f"{t.name}: {t.error}" for t in job.tasks if t.error]
    assert job.state is JobState.SUCCEEDED, errors
    validate_asset(settings.data_dir / "objects" / asset_key_prefix(1, job.asset_version))
    return job


def test_a_long_gop_transport_stream_is_published(tmp_path: Path) -> None:
    # One keyframe in 9 s: the chunks at 4 s and 8 s must be split from inside the GOP.
    job = _publish(tmp_path, _transport_stream(tmp_path / "capture.ts", 9))
    assert (job.analysis or {})["source"]["duration_s"] == pytest.approx(9.0, abs=0.1)


def test_a_transport_stream_with_a_timestamp_jump_keeps_its_length(tmp_path: Path) -> None:
    first = _transport_stream(tmp_path / "a.ts", 3)
    second = _transport_stream(tmp_path / "b.ts", 3, "-output_ts_offset", "100")
    joined = tmp_path / "joined.ts"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    job = _publish(tmp_path, joined)
    assert (job.analysis or {})["source"]["duration_s"] == pytest.approx(6.0, abs=0.1)
