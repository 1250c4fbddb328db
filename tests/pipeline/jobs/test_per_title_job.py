"""A job with `pipeline.ladder_mode = "per-title"`: LADDER chooses the rungs, then the DAG grows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.pipeline.jobs.orchestration_fakes import drain
from tests.pipeline.jobs.test_media_pipeline import _settings, _submit, _worker
from vodstack.delivery.assets import asset_key_prefix
from vodstack.pipeline.jobs.dag import JobPlan, expanded_tasks, output_key
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.states import JobState, TaskKind
from vodstack.pipeline.media import validate_asset
from vodstack.pipeline.media.ffmpeg import RunControl


def test_a_pending_ladder_expands_into_the_ladder_task_alone() -> None:
    plan = JobPlan(renditions=["v240p"], chunks=3, ladder_pending=True)
    (ladder,) = expanded_tasks(7, 3, "v1", plan)
    assert ladder.kind is TaskKind.LADDER and ladder.deps == ("probe",)
    assert ladder.output_key == output_key(7, TaskKind.LADDER) == "work/7/ladder.json"
    chosen = plan.model_copy(update={"ladder_pending": False, "renditions": ["a", "b"]})
    kinds = {s.kind for s in expanded_tasks(7, 3, "v1", chosen)}
    assert TaskKind.LADDER not in kinds and TaskKind.ENCODE in kinds


def _grain(path: Path, seconds: int) -> Path:
    graph = f"testsrc2=s=320x240:r=25,noise=alls=40:allf=t,trim=duration={seconds}"
    args = ["-f", "lavfi", "-i", graph, "-f", "lavfi", "-i", f"sine=d={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "14", "-pix_fmt", "yuv420p"]
    RunControl(timeout_s=120).run([*args, "-c:a", "aac", "-shortest", str(path)])
    return path


@pytest.mark.slow
def test_the_job_runs_the_analysis_and_publishes_the_ladder_it_chose(tmp_path: Path) -> None:
    # A 5 s clip is under the per-title minimum length: lift it for this job.
    settings = _settings(
        tmp_path / "data", ladder_mode="per-title", per_title_min_s=0, preview_height=0
    )
    job_id, sessions, close = _submit(settings, _grain(tmp_path / "grain.mp4", 5))
    drain(_worker(settings, sessions))
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    tasks = {t.name: t for t in job.tasks}
    assert tasks["ladder"].kind is TaskKind.LADDER
    first_split = min((t for t in job.tasks if t.kind is TaskKind.SPLIT), key=lambda t: t.id)
    assert first_split.id > tasks["ladder"].id, "the encodes were planned after the analysis"
    chosen = (job.analysis or {})["ladder"]
    names = [r["name"] for r in chosen["rungs"]]
    assert names and len(chosen["hull"]) >= 2
    assert [r.rendition for r in job.renditions] == names
    # The configured ladder (144p at 150k, 240p at 300k) bounds the rates it may choose.
    assert all(100 <= r["kbps"] <= 300 and r["height"] in (144, 240) for r in chosen["rungs"])
    root = settings.data_dir / "objects" / asset_key_prefix(1, job.asset_version)
    report = validate_asset(root)  # manifests, segments, and a sample of them decoded
    assert {r.name for r in report.renditions} >= set(names)
    master = (root / "master.m3u8").read_text()
    assert all(f"{name}/index.m3u8" in master for name in names)
    assert json.loads((root / "asset.json").read_text())["job_id"] == job_id


@pytest.mark.slow
def test_a_title_shorter_than_the_minimum_keeps_the_configured_ladder(tmp_path: Path) -> None:
    # The analysis samples ~5 s whatever the length: on a short clip it would cost more than
    # the encode it tunes, so the job plans the configured ladder at once, without LADDER.
    settings = _settings(
        tmp_path / "data", ladder_mode="per-title", per_title_min_s=10, preview_height=0
    )
    job_id, sessions, close = _submit(settings, _grain(tmp_path / "grain.mp4", 5))
    drain(_worker(settings, sessions))
    job = job_detail(sessions, job_id)
    close()
    assert job.state is JobState.SUCCEEDED, job.error
    assert TaskKind.LADDER not in {t.kind for t in job.tasks}
    assert [r.rendition for r in job.renditions] == ["v144p", "v240p"]
