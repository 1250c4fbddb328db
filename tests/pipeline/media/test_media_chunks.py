"""Chunk plans, the one-shot benchmark command, complexity analysis, synthetic demo media."""

from __future__ import annotations

import dataclasses
import itertools
import json
from fractions import Fraction
from pathlib import Path

import av
import pytest

from vodstack.pipeline.media import (
    DEMO_SPECS,
    Chunk,
    FfmpegRunner,
    Normalization,
    Pattern,
    analyze,
    encode_chunk_renditions,
    make_demo_sources,
    make_synthetic,
    plain_ffmpeg_ladder_command,
    plan_chunks,
    plan_normalization,
    probe,
    resolve_ladder,
)
from vodstack.pipeline.media.encode import decode_waste_s, keyframe_times
from vodstack.pipeline.media.probe import SourceInfo

from .asset_chain import FAST, TEST_LADDER


def _norm(fps: Fraction) -> Normalization:
    return Normalization(fps=fps, deinterlace=False, to_8bit_420=False, width=320, height=240)


def test_chunks_are_whole_segments_and_cover_every_frame(clip: Path) -> None:
    info = probe(clip)
    norm = plan_normalization(info)
    chunks = plan_chunks(info, norm, chunk_s=10)  # rounded to 8 s: two segments
    assert [(c.start_s, c.end_s) for c in chunks] == [(0.0, 8.0), (8.0, 12.0)]
    assert chunks[0].first_frame == 0 and chunks[-1].end_frame == 300
    assert all(a.end_frame == b.first_frame for a, b in itertools.pairwise(chunks))
    assert [len(keyframe_times(c, norm)) for c in chunks] == [2, 1]


def test_default_chunks_are_sixteen_seconds(clip: Path) -> None:
    info = probe(clip)
    (only,) = plan_chunks(info, plan_normalization(info))  # 12 s: one short chunk
    assert only.frames == 300


def _minute(clip: Path, keyframes: list[float]) -> tuple[SourceInfo, Normalization]:
    """The probed clip as if it lasted 60 s with these keyframes (plans only, no decoding)."""
    info = dataclasses.replace(probe(clip), duration_s=60.0, keyframe_times=tuple(keyframes))
    return info, plan_normalization(info)


def _waste(chunks: tuple[Chunk, ...], info: SourceInfo, norm: Normalization) -> float:
    return sum(decode_waste_s(c.start_s, norm, info.keyframe_times) for c in chunks)


def test_chunks_move_to_just_after_a_long_gop_masters_keyframes(clip: Path) -> None:
    info, norm = _minute(clip, [0.0, 10.0, 20.0, 30.0, 40.0, 50.0])  # x264's default GOP
    fixed = plan_chunks(info, norm, chunk_s=16)
    aligned = plan_chunks(info, norm, chunk_s=16, align_to_keyframes=True)
    assert [c.start_s for c in fixed] == [0.0, 16.0, 32.0, 48.0]
    assert [c.start_s for c in aligned] == [0.0, 12.0, 32.0, 52.0]
    assert (_waste(fixed, info, norm), _waste(aligned, info, norm)) == (13.0, 3.0)


def test_a_short_gop_master_keeps_the_asked_chunk_length(clip: Path) -> None:
    info, norm = _minute(clip, [float(t) for t in range(0, 60, 2)])
    assert plan_chunks(info, norm, chunk_s=16, align_to_keyframes=True) == plan_chunks(
        info, norm, chunk_s=16
    )


@pytest.mark.parametrize("gop_s", [1.0, 3.0, 7.0, 10.0, 60.0])
@pytest.mark.parametrize("chunk_s", [4.0, 8.0, 16.0, 40.0])
def test_aligned_chunks_are_whole_segments_near_the_asked_length(
    clip: Path, gop_s: float, chunk_s: float
) -> None:
    info, norm = _minute(clip, [k * gop_s for k in range(int(60 / gop_s))])
    chunks = plan_chunks(info, norm, chunk_s=chunk_s, align_to_keyframes=True)
    asked = round(chunk_s / 4.0)
    assert chunks[0].first_frame == 0 and chunks[-1].end_frame == 1500
    assert all(a.end_frame == b.first_frame for a, b in itertools.pairwise(chunks))
    assert all(c.start_s % 4.0 == 0 for c in chunks)
    assert all(max(1, asked - 1) * 4 <= c.duration_s <= (asked + 1) * 4 for c in chunks[:-1])
    fixed = plan_chunks(info, norm, chunk_s=chunk_s)
    assert _waste(chunks, info, norm) <= _waste(fixed, info, norm)


def test_frame_grid_for_ntsc_rates() -> None:
    norm = _norm(Fraction(30000, 1001))
    assert [norm.frame_at(4.0 * m) for m in range(4)] == [0, 120, 240, 360]
    assert norm.frame_at(36.0) == 1079  # 1078.92: a 119-frame segment keeps the grid exact
    assert norm.time_of(1079) >= 36.0


def test_plain_ffmpeg_ladder_command_encodes_the_same_ladder(clip: Path, tmp_path: Path) -> None:
    info = probe(clip)
    norm = plan_normalization(info)
    ladder = resolve_ladder(TEST_LADDER, norm)
    args = plain_ffmpeg_ladder_command(clip, info, norm, ladder, tmp_path, FAST)
    assert args.count("-i") == 1  # one decode of the source
    FfmpegRunner().run(args, timeout_s=120)
    for rendition in ladder.video:
        with av.open(str(tmp_path / f"{rendition.name}.mp4")) as container:
            stream = container.streams.video[0]
            base = stream.time_base
            assert base is not None
            keys = sorted(
                float(p.pts * base)
                for p in container.demux(stream)
                if p.pts is not None and p.is_keyframe
            )
            assert (stream.codec_context.width, stream.codec_context.height) == (
                rendition.width,
                rendition.height,
            )
        assert keys == pytest.approx([0.0, 4.0, 8.0], abs=1e-6)
    assert (tmp_path / "a128k.mp4").is_file()


def test_complexity_ranks_grain_above_a_test_card(tmp_path: Path) -> None:
    scores = {}
    for pattern in (Pattern.TESTSRC2, Pattern.GRAIN):
        path = make_synthetic(
            tmp_path / f"{pattern}.mp4", pattern, duration_s=3, width=320, height=240,
            preset="ultrafast",
        )  # fmt: skip
        analysis = analyze(path, probe(path), windows=2, window_s=1.0)
        scores[pattern] = analysis.complexity.proxy_kbps
        stored = json.loads(json.dumps(analysis.to_dict()))  # the job record is plain JSON
        assert stored["complexity"]["proxy_width"] == 320
        assert stored["source"]["fps"] == "25"
    assert scores[Pattern.GRAIN] > 2 * scores[Pattern.TESTSRC2]


@pytest.mark.parametrize("pattern", list(Pattern))
def test_every_synthetic_pattern_makes_a_valid_source(pattern: Pattern, tmp_path: Path) -> None:
    path = make_synthetic(
        tmp_path / "clip.mp4", pattern, duration_s=1, width=160, height=120, title="Tïtle: it's",
        preset="ultrafast",
    )  # fmt: skip
    info = probe(path)
    assert (info.width, info.height) == (160, 120)
    assert info.audio is not None
    assert info.duration_s == pytest.approx(1.0, abs=0.05)


def test_demo_sources_are_made_once(tmp_path: Path) -> None:
    specs = DEMO_SPECS[:1]
    made = make_demo_sources(tmp_path, specs, width=160, height=120)
    path = made[specs[0].slug]
    before = path.stat().st_mtime_ns
    assert make_demo_sources(tmp_path, specs, width=160, height=120)[specs[0].slug] == path
    assert path.stat().st_mtime_ns == before
    assert (
        30 <= min(s.duration_s for s in DEMO_SPECS) <= max(s.duration_s for s in DEMO_SPECS) <= 120
    )


def test_the_title_is_burned_in(tmp_path: Path) -> None:
    frames = {}
    for title in ("A Title", None):
        path = make_synthetic(
            tmp_path / f"{title}.mp4", Pattern.TESTSRC2, duration_s=1, width=320, height=180,
            title=title, preset="ultrafast",
        )  # fmt: skip
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
            frames[title] = frame.to_ndarray(format="gray").astype(int)
    band = slice(0, 180 // 4)  # the title sits in the top quarter
    assert abs(frames["A Title"][band] - frames[None][band]).mean() > 5


def test_several_renditions_share_one_decode(clip: Path, tmp_path: Path) -> None:
    info = probe(clip)
    norm = plan_normalization(info)
    ladder = resolve_ladder(TEST_LADDER, norm)
    (chunk, _) = plan_chunks(info, norm, chunk_s=8)
    outs = [tmp_path / f"{r.name}.mp4" for r in ladder.video]
    encoded = encode_chunk_renditions(clip, norm, chunk, ladder.video, outs, settings=FAST)
    assert [e.path for e in encoded] == outs
    for rendition, out in zip(ladder.video, outs, strict=True):
        with av.open(str(out)) as container:
            stream = container.streams.video[0]
            packets = [p for p in container.demux(stream) if p.size]
            assert (stream.codec_context.width, stream.codec_context.height) == (
                rendition.width,
                rendition.height,
            )
        assert len(packets) == chunk.frames == 200
        assert sum(p.is_keyframe for p in packets) == 2
