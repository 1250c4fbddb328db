"""Masters that pass the probe but are damaged fail their job with the time position, and a
VMAF failure is a warning in quality.json, not a failed job."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.pipeline.badmedia import good_clip, zero_middle
from tests.pipeline.jobs.orchestration_fakes import drain
from tests.pipeline.jobs.test_media_pipeline import _settings, _submit, _worker
from vodstack.delivery.assets import asset_key_prefix
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.states import JobState, TaskKind
from vodstack.pipeline.media import probe, validate_asset
from vodstack.storage import LocalObjectStore


def test_zeroed_media_data_fails_the_job_naming_the_time(tmp_path: Path) -> None:
    damaged = zero_middle(good_clip(tmp_path / "good.mp4", 5), tmp_path / "zeroed.mp4")
    probe(damaged)  # the first check lets it through: this is the deep check's catch
    settings = _settings(tmp_path / "data")
    job_id, sessions, close = _submit(settings, damaged)
    drain(_worker(settings, sessions))
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.FAILED
    # 4 KB in the middle of the media data: video or audio, depending on the interleaving.
    assert re.search(
        r"\(not retryable\): corrupt (video|audio) data near 00:00:02\.\d", job.error or ""
    )
    failed = [t for t in job.tasks if t.error and "corrupt" in t.error]
    assert failed and all(t.kind in (TaskKind.SPLIT, TaskKind.AUDIO) for t in failed)
    assert all(t.attempts == 1 for t in failed), "damage is the uploader's: never retried"
    assert LocalObjectStore(settings.data_dir / "objects").list("titles/") == []


def test_a_vmaf_crash_publishes_with_a_warning(tmp_path: Path) -> None:
    # The bundled libvmaf segfaults on frames 16 pixels high: a real crash, from the ladder.
    settings = _settings(tmp_path / "data", ladder=[(16, 50)], preview_height=0)
    job_id, sessions, close = _submit(settings, good_clip(tmp_path / "clip.mp4", 3))
    drain(_worker(settings, sessions))
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    root = settings.data_dir / "objects" / asset_key_prefix(1, job.asset_version)
    validate_asset(root)
    report = json.loads((root / "quality.json").read_text())
    assert report["renditions"] == []
    assert report["warning"].startswith("VMAF was not measured: ffmpeg exited with status")
