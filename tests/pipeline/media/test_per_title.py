"""Per-title ladders on real encodes: content of very different complexity, short clips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from vodstack.cli.main import app
from vodstack.pipeline.media import ProbeLimits, plan_normalization, probe
from vodstack.pipeline.media.ffmpeg import RunControl
from vodstack.pipeline.media.ladder import DEFAULT_LADDER
from vodstack.pipeline.media.per_title import PerTitleLadder, PerTitleSettings, analyze_per_title

# Generator graphs: a still slide, and grain over a test card (the hardest to compress).
SLIDE = "color=c=0x203040:s=640x360:r=25,drawbox=x=120:y=90:w=400:h=60:c=white:t=fill"
GRAIN = "testsrc2=s=640x360:r=25,noise=alls=60:allf=t"


def _clip(path: Path, graph: str, seconds: int = 3) -> Path:
    args = ["-f", "lavfi", "-i", f"{graph},trim=duration={seconds}", "-c:v", "libx264"]
    args += ["-preset", "ultrafast", "-crf", "12", "-pix_fmt", "yuv420p", str(path)]
    RunControl(timeout_s=120).run(args)
    return path


def _per_title(path: Path) -> PerTitleLadder:
    info = probe(path, ProbeLimits())
    return analyze_per_title(path, info, plan_normalization(info), fixed=DEFAULT_LADDER)


@pytest.fixture(scope="module")
def ladders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PerTitleLadder]:
    scratch = tmp_path_factory.mktemp("per-title")
    return {
        "slide": _per_title(_clip(scratch / "slide.mp4", SLIDE)),
        "grain": _per_title(_clip(scratch / "grain.mp4", GRAIN)),
    }


@pytest.mark.slow
def test_a_static_slide_gets_fewer_and_lower_rungs_than_grain(
    ladders: dict[str, PerTitleLadder],
) -> None:
    slide, grain = ladders["slide"].ladder.video, ladders["grain"].ladder.video
    assert len(slide) < len(grain), (slide, grain)
    assert max(r.bitrate_kbps for r in slide) < min(r.bitrate_kbps for r in grain)
    # The fixed ladder spends 800 kbit/s on 360p whatever the picture; the slide needs far less.
    assert max(r.bitrate_kbps for r in slide) <= 200


@pytest.mark.slow
def test_the_analysis_measures_every_height_and_setting_at_the_display_size(
    ladders: dict[str, PerTitleLadder],
) -> None:
    grain = ladders["grain"]
    assert grain.display == (640, 360)
    assert {p.height for p in grain.points} == {240, 360}, "the fixed ladder's heights that fit"
    crfs = PerTitleSettings().crfs
    assert len(grain.points) == 2 * len(crfs), "every CRF at every height"
    for height in (240, 360):
        by_crf = sorted((p for p in grain.points if p.height == height), key=lambda p: p.setting)
        scores = [p.vmaf for p in by_crf]  # rising CRF: falling quality
        assert scores == sorted(scores, reverse=True), by_crf
    # Grain at CRF 24 would take several Mbit/s; the samples stop near the cap (1.5 x the
    # 800 kbit/s the fixed ladder tops out at for 360p), a 1 s buffer over it at most.
    cap = 800 * PerTitleSettings().sample_cap
    assert max(p.kbps for p in grain.points) <= 2 * cap, grain.points
    slide_vmaf = min(p.vmaf for p in ladders["slide"].points)
    assert slide_vmaf > max(p.vmaf for p in grain.points if str(max(crfs)) in p.setting)
    recorded = grain.to_dict()
    assert [r["name"] for r in recorded["rungs"]] == [r.name for r in grain.ladder.video]


@pytest.mark.slow
def test_ladder_compare_prints_both_ladders_the_bd_rate_and_draws_the_curves(
    tmp_path: Path,
) -> None:
    clip = _clip(tmp_path / "grain.mp4", GRAIN, seconds=4)
    png = tmp_path / "curves.png"
    result = CliRunner().invoke(app, ["ladder", "compare", str(clip), "--png", str(png), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for label in ("fixed", "per_title"):
        rungs = report[label]["rungs"]
        assert rungs and all(r["kbps"] > 0 and 0 <= r["vmaf"] <= 100 for r in rungs), rungs
    assert [r["name"] for r in report["fixed"]["rungs"]] == ["v240p", "v360p"]
    # Defined when the two curves share a VMAF range; otherwise the report says why not.
    assert report["bd_rate_percent"] is not None or report["bd_rate_note"], report
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width > 300


def test_ladder_compare_refuses_a_file_that_is_not_video(tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    result = CliRunner().invoke(app, ["ladder", "compare", str(junk)])
    assert result.exit_code == 2
    assert "not a recognised" in result.output
