"""Validation rejects bad uploads with a clear reason; good ones are described correctly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vodstack.pipeline.media import (
    FfmpegRunner,
    InvalidMedia,
    InvalidReason,
    ProbeLimits,
    SourceInfo,
    probe,
)


def _ffmpeg(*args: str) -> None:
    FfmpegRunner().run(list(args), timeout_s=60)


def test_describes_a_good_clip(clip: Path) -> None:
    info = probe(clip)
    assert info.duration_s == pytest.approx(12.0, abs=0.05)
    assert (info.width, info.height, info.rotation) == (320, 240, 0)
    assert info.fps == 25 and not info.variable_frame_rate
    assert (info.pix_fmt, info.bit_depth, info.interlaced) == ("yuv420p", 8, False)
    assert info.audio is not None and info.audio.channels == 2
    assert info.keyframe_times[0] == 0.0
    assert info.to_dict()["display_width"] == 320


def test_zero_byte_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(InvalidMedia, match="empty") as caught:
        probe(empty)
    assert caught.value.reason is InvalidReason.EMPTY


def test_text_file_named_mp4(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is a shopping list, not a film\n" * 50)
    with pytest.raises(InvalidMedia, match="not a recognised") as caught:
        probe(text)
    assert caught.value.reason is InvalidReason.NOT_MEDIA


def test_truncated_mp4_with_index_at_the_end(clip: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain.mp4"
    _ffmpeg("-i", str(clip), "-c", "copy", str(plain))  # moov last: the cut loses the index
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])
    with pytest.raises(InvalidMedia, match="cut short") as caught:
        probe(cut)
    assert caught.value.reason is InvalidReason.TRUNCATED


def test_truncated_mp4_with_index_first(clip: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"  # the clip is faststart: the index promises 12 s of data
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(InvalidMedia, match=r"cut short|truncated") as caught:
        probe(cut)
    assert caught.value.reason is InvalidReason.TRUNCATED


def test_audio_only(tmp_path: Path) -> None:
    song = tmp_path / "song.mp4"
    _ffmpeg("-f", "lavfi", "-i", "sine=d=2", "-c:a", "aac", str(song))
    with pytest.raises(InvalidMedia, match="only audio") as caught:
        probe(song)
    assert caught.value.reason is InvalidReason.NO_VIDEO


def test_absurd_dimensions(tmp_path: Path) -> None:
    huge = tmp_path / "huge.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "color=s=8192x64:d=1", "-c:v", "libx264", "-preset", "ultrafast",
        str(huge),
    )  # fmt: skip
    with pytest.raises(InvalidMedia, match=r"8192x64.*7680x4320") as caught:
        probe(huge)
    assert caught.value.reason is InvalidReason.TOO_LARGE


def test_limits_are_configurable(clip: Path) -> None:
    with pytest.raises(InvalidMedia, match="limit is 5 s") as too_long:
        probe(clip, ProbeLimits(max_duration_s=5))
    assert too_long.value.reason is InvalidReason.TOO_LONG
    with pytest.raises(InvalidMedia) as too_large:
        probe(clip, ProbeLimits(max_width=300, max_height=200))
    assert too_large.value.reason is InvalidReason.TOO_LARGE


def test_zero_duration(tmp_path: Path) -> None:
    blip = tmp_path / "blip.mp4"
    _ffmpeg("-f", "lavfi", "-i", "color=s=64x64:r=25", "-frames:v", "1", str(blip))
    with pytest.raises(InvalidMedia, match=r"lasts 0\.04 s") as caught:
        probe(blip)
    assert caught.value.reason is InvalidReason.ZERO_DURATION


def test_source_info_survives_a_round_trip_through_json(clip: Path) -> None:
    info = probe(clip)
    assert SourceInfo.from_dict(json.loads(json.dumps(info.to_dict()))) == info


@pytest.mark.parametrize(
    ("name", "codec"), [("long_gop.ts", "libx264"), ("long_gop.mpg", "mpeg2video")]
)
def test_an_index_less_container_with_a_long_gop_is_accepted(
    tmp_path: Path, name: str, codec: str
) -> None:
    # MPEG-TS and MPEG-PS have no index: a seek to the last second lands past the keyframe before
    # it and decodes nothing. Such masters (OBS's and broadcast recorders' .ts) used to be refused
    # as "probably truncated".
    source = tmp_path / name
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=s=160x120:r=25:d=6",
        "-c:v", codec, "-g", "75", str(source),
    )  # fmt: skip
    info = probe(source)
    assert info.duration_s == pytest.approx(6.0, abs=0.05)
    assert info.keyframe_times == pytest.approx([0.0, 3.0], abs=0.05)
