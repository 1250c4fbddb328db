"""The orchestration driving the real media layer, on tiny synthesized clips."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from tests.pipeline.jobs.orchestration_fakes import drain
from tests.support.waiting import eventually
from vodstack.config.settings import PipelineSettings, Settings, load_settings
from vodstack.contracts.pipeline import JobDetail
from vodstack.delivery.assets import KEY_ROOT, asset_key_prefix
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.media_tasks import MediaTaskExecutor
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.scratch import mezzanine_path
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState
from vodstack.pipeline.jobs.worker import Worker
from vodstack.pipeline.media import POSTER_NAME, Pattern, make_synthetic, validate_asset
from vodstack.storage import LocalObjectStore

# A reduced ladder for a 320x240 source: two rungs, cheap bitrates.
TEST_LADDER = [(144, 150), (240, 300)]
CHUNK_S = 4.0  # one 4 s segment per chunk: the smallest chunk the media layer makes
# Fixed chunks, so the tests know how many there are (the clips have one keyframe, at 0 s).
FIXED_CHUNKS = {"align_chunks_to_keyframes": False}


def _settings(data_dir: Path, **options: object) -> Settings:
    pipeline = PipelineSettings.model_validate(
        {
            "chunk_s": CHUNK_S,
            "ladder": TEST_LADDER,
            "encoder_threads": 1,
            "lease_s": 5.0,
            "poll_s": 0.05,
            **FIXED_CHUNKS,
            **options,
        }
    )
    return load_settings(data_dir=data_dir, pipeline=pipeline)


def _clip(path: Path, seconds: float) -> Path:
    return make_synthetic(path, Pattern.TESTSRC2, duration_s=seconds, width=320, height=240)


def _submit(
    settings: Settings, clip: Path
) -> tuple[int, sessionmaker[Session], Callable[[], None]]:
    engine, sessions = open_database(settings)
    LocalObjectStore(settings.data_dir / "objects").put_file("masters/1/m.mp4", clip)
    job_id = JobQueue(sessions, settings.pipeline).create_job(1, "masters/1/m.mp4")
    return job_id, sessions, engine.dispose


def _worker(settings: Settings, sessions: sessionmaker[Session]) -> Worker:
    return Worker(
        settings=settings,
        queue=JobQueue(sessions, settings.pipeline),
        store=LocalObjectStore(settings.data_dir / "objects"),
        executor=MediaTaskExecutor(settings),
        owner="test:1:0",
        stop=threading.Event(),
    )


def test_a_real_clip_is_encoded_packaged_and_published(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    job_id, sessions, close = _submit(settings, _clip(tmp_path / "clip.mp4", 5))
    store = LocalObjectStore(settings.data_dir / "objects")
    drain(_worker(settings, sessions))
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    assert [r.rendition for r in job.renditions] == ["v144p", "v240p"]
    assert all(r.chunks_total == 2 for r in job.renditions)  # 5 s in 4 s chunks
    analysis = job.analysis or {}
    assert analysis["source"]["width"] == 320, "the probe's half"
    assert len(analysis["chunks"]) == 2
    assert analysis["complexity"]["proxy_kbps"] > 0, "ANALYZE's half, merged in"
    root = settings.data_dir / "objects" / asset_key_prefix(1, job.asset_version)
    report = validate_asset(root)
    assert {r.name for r in report.renditions} >= {"v144p", "v240p"}
    assert json.loads((root / "asset.json").read_text())["job_id"] == job_id
    assert store.list("work/") == []


def test_chunks_start_just_after_the_masters_keyframes(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", align_chunks_to_keyframes=True)
    clip = make_synthetic(
        tmp_path / "gop5.mp4", Pattern.TESTSRC2, duration_s=12, width=320, height=240, gop_s=5
    )
    job_id, sessions, close = _submit(settings, clip)
    drain(_worker(settings, sessions))
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    analysis = job.analysis or {}
    assert analysis["source"]["keyframe_times"] == [0.0, 5.0, 10.0]
    # 4 s chunks would start at 4 s and 8 s, decoding from 0 s and 5 s (5 s dropped); one
    # 8 s chunk, then the 8 s one that decodes from 5 s, drops 2 s.
    assert [(c["start_s"], c["end_s"]) for c in analysis["chunks"]] == [(0.0, 8.0), (8.0, 12.0)]
    root = settings.data_dir / "objects" / asset_key_prefix(1, job.asset_version)
    validate_asset(root)  # segments still align across renditions, durations match


def _mezzanines(settings: Settings, job_id: int, chunks: int) -> set[int]:
    return {c for c in range(chunks) if mezzanine_path(settings.data_dir, job_id, c).exists()}


def test_mezzanines_live_only_while_their_chunk_is_encoding(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", split_window=2)
    job_id, sessions, close = _submit(settings, _clip(tmp_path / "clip.mp4", 9))
    worker = _worker(settings, sessions)
    most = 0
    while worker.run_once():  # one task at a time: look at the scratch between tasks
        job = job_detail(sessions, job_id)
        present = _mezzanines(settings, job_id, 3)
        most = max(most, len(present))
        discarded = {
            t.chunk
            for t in job.tasks
            if t.kind is TaskKind.DISCARD and t.state is TaskState.SUCCEEDED
        }
        encoding = {
            t.chunk
            for t in job.tasks
            if t.kind is TaskKind.SPLIT and t.state is TaskState.SUCCEEDED
        } - discarded
        assert present == encoding, "a mezzanine exists exactly from its split to its discard"
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    assert most == 1, "one worker splits a chunk only when it needs it (the window is 2)"
    assert not (settings.data_dir / "work" / "mezzanine" / str(job_id)).exists()


def test_a_missing_mezzanine_is_regenerated_on_resume(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    job_id, sessions, close = _submit(settings, _clip(tmp_path / "clip.mp4", 5))
    worker = _worker(settings, sessions)
    while _mezzanines(settings, job_id, 2) != {0}:
        assert worker.run_once()
    assert worker.run_once()  # one encode from the mezzanine, then the scratch is wiped
    mezzanine_path(settings.data_dir, job_id, 0).unlink()
    drain(_worker(settings, sessions))  # a fresh worker, as after a restart
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    splits = [t for t in job.tasks if t.kind is TaskKind.SPLIT]
    assert [t.executions for t in splits] == [2, 1], "the lost chunk's split ran again"
    assert all(t.attempts == 1 for t in job.tasks if t.kind is TaskKind.ENCODE)
    validate_asset(settings.data_dir / "objects" / asset_key_prefix(1, job.asset_version))


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts `vodstack jobs work` (controller + 2 worker processes) in its own session."""
    started: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "VODSTACK_PIPELINE__CHUNK_S": str(CHUNK_S),
        "VODSTACK_PIPELINE__LADDER": json.dumps(TEST_LADDER),
        "VODSTACK_PIPELINE__ENCODER_THREADS": "1",
        "VODSTACK_PIPELINE__LEASE_S": "5",
        "VODSTACK_PIPELINE__POLL_S": "0.05",
    }
    command = [sys.executable, "-m", "vodstack", "jobs", "work", "--workers", "2"]
    command += ["--data-dir", str(tmp_path / "data")]

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            command, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _encodes(job: JobDetail, state: TaskState) -> dict[str, tuple[float | None, int, int]]:
    return {
        t.name: (t.finished_at, t.attempts, t.executions)
        for t in job.tasks
        if t.kind is TaskKind.ENCODE and t.state is state
    }


@pytest.mark.slow
def test_kill_9_mid_encoding_then_restart_completes_without_rerunning_finished_tasks(
    tmp_path: Path, platform: Callable[[], subprocess.Popen[bytes]]
) -> None:
    settings = _settings(tmp_path / "data")
    job_id, sessions, close = _submit(settings, _clip(tmp_path / "clip.mp4", 16))
    first = platform()

    def mid_encoding() -> bool:
        job = job_detail(sessions, job_id)
        return len(_encodes(job, TaskState.SUCCEEDED)) >= 2 and bool(
            _encodes(job, TaskState.RUNNING)
        )

    eventually(mid_encoding, timeout_s=120, interval_s=0.03)
    os.killpg(first.pid, signal.SIGKILL)  # the controller, its workers and their ffmpeg
    first.wait()
    frozen = job_detail(sessions, job_id)
    finished = _encodes(frozen, TaskState.SUCCEEDED)
    interrupted = _encodes(frozen, TaskState.RUNNING)
    assert interrupted, "the kill landed while chunks were encoding"
    assert frozen.state is JobState.RUNNING

    second = platform()
    eventually(lambda: job_detail(sessions, job_id).state.terminal, timeout_s=180, interval_s=0.03)
    second.send_signal(signal.SIGTERM)
    assert second.wait(60) == 0

    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    after = {t.name: t for t in job.tasks}
    for name, (finished_at, attempts, executions) in finished.items():
        task = after[name]
        assert (task.finished_at, task.attempts, task.executions) == (
            finished_at, attempts, executions,
        ), f"{name} was run again"  # fmt: skip
    for name, (_, attempts, _) in interrupted.items():
        assert after[name].attempts == attempts + 1, f"{name} was not resumed exactly once"
    root = settings.data_dir / "objects" / asset_key_prefix(1, job.asset_version)
    validate_asset(root)


def test_the_low_rungs_are_published_first_as_a_playable_preview(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", preview_height=144)
    job_id, sessions, close = _submit(settings, _clip(tmp_path / "clip.mp4", 5))
    drain(_worker(settings, sessions))
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    assert job.preview_version == f"{job.asset_version}-preview"
    titles = settings.data_dir / "objects" / KEY_ROOT / "1"
    preview = validate_asset(titles / job.preview_version, require_extras=False)
    assert [r.name for r in preview.renditions if r.name.startswith("v")] == ["v144p"]
    assert json.loads((titles / job.preview_version / "asset.json").read_text())["preview"]
    # Its poster (tiles show a frame of the video as soon as it plays), from the preview's rung.
    with Image.open(titles / job.preview_version / POSTER_NAME) as poster:
        assert poster.format == "JPEG" and poster.height == 144, poster.size
    complete = validate_asset(titles / job.asset_version)
    assert {r.name for r in complete.renditions} >= {"v144p", "v240p"}
    finished = {t.name: t.finished_at or 0.0 for t in job.tasks}
    started = {t.name: t.started_at or 0.0 for t in job.tasks}
    assert finished["publish:preview"] <= min(
        at for name, at in started.items() if name.startswith("encode:v240p")
    ), "the preview was published before the main pass began"
    v144 = [t for t in job.tasks if t.kind is TaskKind.ENCODE and t.rendition == "v144p"]
    assert all(t.executions == 1 for t in v144), "the main package reused the preview's chunks"
