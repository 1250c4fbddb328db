"""Damaged masters: refused up front when the probe sees it, else found by the split's full
decode, with the time position; tiny frames refused with the minimum size."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.badmedia import ffmpeg, good_clip, zero_middle
from vodstack.pipeline.media import (
    EncodeFailed,
    InvalidMedia,
    InvalidReason,
    locate_corruption,
    plan_chunks,
    plan_normalization,
    probe,
    split_chunk,
    timestamp,
)


@pytest.fixture(scope="module")
def masters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("integrity")
    good = good_clip(root / "good.mp4")
    return {"good": good, "zeroed": zero_middle(good, root / "zeroed.mp4")}


def test_timestamps_read_like_a_players() -> None:
    assert timestamp(12.44) == "00:00:12.4"
    assert timestamp(3725.06) == "01:02:05.1"
    assert timestamp(0) == "00:00:00.0"


def test_zeroed_bytes_in_the_middle_pass_the_probe_but_not_the_split(
    masters: dict[str, Path], tmp_path: Path
) -> None:
    info = probe(masters["zeroed"])  # edges decode fine: the first check cannot see it
    norm = plan_normalization(info)
    (chunk,) = plan_chunks(info, norm, chunk_s=8.0)
    with pytest.raises(EncodeFailed):
        split_chunk(masters["zeroed"], norm, chunk, tmp_path / "z.nut")
    good = split_chunk(masters["good"], norm, chunk, tmp_path / "g.nut")
    assert good.frames == 100


def test_the_damage_is_located_to_the_frame_where_it_starts(masters: dict[str, Path]) -> None:
    at = locate_corruption(str(masters["zeroed"]), "video", 0.0, 4.0)
    assert at == pytest.approx(2.0, abs=0.05)  # the middle of the media data
    assert locate_corruption(str(masters["zeroed"]), "video", 0.0, 1.5) is None
    assert locate_corruption(str(masters["good"]), "video", 0.0, 4.0) is None
    assert locate_corruption(str(masters["good"]), "audio", 0.0, 4.0) is None


def test_damage_the_probe_runs_into_is_refused_as_corrupt(masters: dict[str, Path]) -> None:
    # One keyframe at 0 s: the probe's decode of the last second starts there and breaks.
    long_gop = good_clip(masters["good"].with_name("long-gop.mp4"), gop_s=None)
    damaged = zero_middle(long_gop, long_gop.with_name("long-gop-zeroed.mp4"))
    with pytest.raises(InvalidMedia, match=r"corrupt video data near 00:00:0\d\.\d") as caught:
        probe(damaged)
    assert caught.value.reason is InvalidReason.CORRUPT


@pytest.mark.parametrize("size", ["2x2", "16x16", "64x8"])
def test_tiny_frames_are_refused_with_the_minimum_size(tmp_path: Path, size: str) -> None:
    path = tmp_path / f"{size}.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={size}:d=1", "-c:v", "libx264", str(path))
    with pytest.raises(InvalidMedia, match=f"is {size}; the smallest accepted frame is 32x32"):
        probe(path)
