"""Awkward sources come out as constant-rate, progressive, upright, even-sized 8-bit 4:2:0."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import pytest

from vodstack.pipeline.media import (
    FfmpegRunner,
    Ladder,
    Rung,
    concat_chunks,
    encode_chunk,
    plan_chunks,
    plan_normalization,
    probe,
    resolve_ladder,
)

from .asset_chain import FAST

_TINY = Ladder(video=(Rung("v120p", 120, 150, 225, 300),))


def _make(path: Path, *args: str) -> Path:
    FfmpegRunner().run([*list(args), str(path)], timeout_s=60)
    return path


def _encode(source: Path, work: Path) -> tuple[Path, Fraction]:
    """Probe, normalize and encode the whole source as one rendition (several chunks)."""
    info = probe(source)
    norm = plan_normalization(info)
    (rendition,) = resolve_ladder(_TINY, norm).video
    chunks = plan_chunks(info, norm, chunk_s=4)
    parts = [
        encode_chunk(source, norm, c, rendition, work / f"c{c.index}.mp4", settings=FAST).path
        for c in chunks
    ]
    return concat_chunks(parts, work / "joined.mp4").path, norm.fps


def _frames(path: Path) -> tuple[list[float], list[float], int, int, str]:
    """(presentation times, keyframe times, width, height, pix_fmt) of the first video stream."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        base = stream.time_base
        assert base is not None
        times, keys = [], []
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            times.append(float(packet.pts * base))
            if packet.is_keyframe:
                keys.append(float(packet.pts * base))
        ctx = stream.codec_context
        return sorted(times), sorted(keys), ctx.width, ctx.height, ctx.pix_fmt or ""


def _assert_constant_rate(times: list[float], fps: Fraction) -> None:
    step = 1 / float(fps)
    assert times == pytest.approx([i * step for i in range(len(times))], abs=1e-4)


def test_variable_frame_rate_becomes_constant(tmp_path: Path) -> None:
    # Frame times jitter between 1/50 and 3/50 s: an average of 25 fps, far from constant.
    source = _make(
        tmp_path / "vfr.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=160x120:r=50:d=6",
        "-vf", "select='not(eq(mod(n,4),1))',setpts='N/(37.5*TB)+0.02*mod(N,2)/TB'",
        "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast",
    )  # fmt: skip
    info = probe(source)
    assert info.variable_frame_rate
    joined, fps = _encode(source, tmp_path)
    times, keys, *_ = _frames(joined)
    _assert_constant_rate(times, fps)
    assert keys == pytest.approx([0.0, 4.0], abs=1e-6)


def test_rotation_metadata_is_applied(tmp_path: Path) -> None:
    plain = _make(
        tmp_path / "plain.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2",
        "-c:v", "libx264", "-preset", "ultrafast",
    )  # fmt: skip
    rotated = _make(
        tmp_path / "rotated.mp4", "-display_rotation", "90", "-i", str(plain), "-c", "copy"
    )
    info = probe(rotated)
    assert info.rotation in (90, 270)
    assert (info.display_width, info.display_height) == (240, 320)
    (rendition,) = resolve_ladder(_TINY, plan_normalization(info)).video
    assert (rendition.width, rendition.height) == (
        120,
        160,
    )  # portrait: rung size is the short side
    joined, _ = _encode(rotated, tmp_path)
    assert _frames(joined)[2:4] == (120, 160)


def test_odd_dimensions_and_ten_bit_become_even_8bit(tmp_path: Path) -> None:
    source = _make(
        tmp_path / "odd10.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=321x241:r=25:d=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p10le",
    )  # fmt: skip
    info = probe(source)
    assert info.bit_depth == 10
    joined, _ = _encode(source, tmp_path)
    _, _, width, height, pix_fmt = _frames(joined)
    assert width % 2 == 0 and height % 2 == 0
    assert pix_fmt == "yuv420p"


def test_interlaced_source_is_detected_and_deinterlaced(tmp_path: Path) -> None:
    source = _make(
        tmp_path / "interlaced.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=50:d=2",
        "-vf", "tinterlace=mode=interleave_top,setfield=tff",
        "-c:v", "libx264", "-preset", "ultrafast", "-flags", "+ildct+ilme", "-pix_fmt", "yuv420p",
    )  # fmt: skip
    info = probe(source)
    assert info.interlaced
    norm = plan_normalization(info)
    assert norm.deinterlace
    joined, fps = _encode(source, tmp_path)
    times, *_ = _frames(joined)
    _assert_constant_rate(times, fps)


def test_ntsc_rate_keyframes_land_on_the_first_frame_of_each_segment(tmp_path: Path) -> None:
    source = _make(
        tmp_path / "ntsc.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=160x120:r=30000/1001:d=13",
        "-c:v", "libx264", "-preset", "ultrafast",
    )  # fmt: skip
    info = probe(source)
    norm = plan_normalization(info)
    assert norm.fps == Fraction(30000, 1001)
    (rendition,) = resolve_ladder(_TINY, norm).video
    chunks = plan_chunks(info, norm, chunk_s=8)
    parts = [
        encode_chunk(source, norm, c, rendition, tmp_path / f"c{c.index}.mp4", settings=FAST).path
        for c in chunks
    ]
    joined = concat_chunks(parts, tmp_path / "joined.mp4").path
    times, keys, *_ = _frames(joined)
    _assert_constant_rate(times, norm.fps)
    expected = [norm.time_of(norm.frame_at(4.0 * m)) for m in range(4)]
    assert keys == pytest.approx(expected, abs=1e-4)
    assert len(times) == norm.frame_at(info.duration_s)


@pytest.mark.parametrize(
    "rate", ["24", "24000/1001", "25", "30", "30000/1001", "50", "60", "60000/1001"]
)
def test_a_standard_rate_source_keeps_its_own_rate(tmp_path: Path, rate: str) -> None:
    # 30 is within 1 % of 29.97 too: a 30 fps phone clip used to come out at 29.97 fps, one
    # frame dropped every 33 s and every segment 4.004 s instead of 4 s.
    source = _make(
        tmp_path / "cfr.mp4",
        "-f", "lavfi", "-i", f"testsrc2=s=64x48:r={rate}:d=2",
        "-c:v", "libx264", "-preset", "ultrafast",
    )  # fmt: skip
    assert plan_normalization(probe(source)).fps == Fraction(rate)


def test_a_video_that_starts_after_its_audio_keeps_every_frame(tmp_path: Path) -> None:
    # The video's first frame at 0.08 s (the audio at 0): the `fps` filter started its grid at
    # the first frame, so the first chunk came out two frames short.
    source = _make(
        tmp_path / "late_video.mp4",
        "-itsoffset", "0.08", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=6",
        "-f", "lavfi", "-i", "sine=d=6.08",
        "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
    )  # fmt: skip
    info = probe(source)
    joined, fps = _encode(source, tmp_path)
    times, *_ = _frames(joined)
    _assert_constant_rate(times, fps)
    assert len(times) == plan_normalization(info).frame_at(info.duration_s)
