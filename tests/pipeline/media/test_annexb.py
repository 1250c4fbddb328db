"""The leading key frame of a raw H.264 sample, and its bits spread over a real GOP."""

from __future__ import annotations

from pathlib import Path

import pytest

from vodstack.pipeline.media.annexb import split_leading_key
from vodstack.pipeline.media.ffmpeg import RunControl
from vodstack.pipeline.media.samples import Scored


def _nal(kind: int, size: int, long_start: bool = False) -> bytes:
    start = b"\x00\x00\x00\x01" if long_start else b"\x00\x00\x01"
    return start + bytes([0x60 | kind]) + b"\xaa" * (size - 1)


def test_the_key_access_unit_ends_at_the_first_predicted_slice() -> None:
    key = _nal(7, 20, long_start=True) + _nal(8, 5, long_start=True) + _nal(6, 600) + _nal(5, 9000)
    rest = _nal(1, 300, long_start=True) + _nal(1, 200)
    split = split_leading_key(key + rest)
    assert (split.key_bytes, split.rest_bytes) == (len(key), len(rest))


def test_a_stream_of_one_key_frame_is_all_key() -> None:
    stream = _nal(7, 20) + _nal(5, 500)
    assert split_leading_key(stream).rest_bytes == 0


def test_a_window_in_a_longer_gop_carries_its_share_of_the_key_frame() -> None:
    # 40 frames: a 9,000-bit key frame and 39 predicted frames of 1,000 bits each.
    window = Scored("w", 9_000 + 39_000, 1.6, 90.0, key_bits=9_000, frames=40)
    # In a 100-frame GOP a frame costs (9,000 + 99 x 1,000) / 100 = 1,080 bits.
    assert window.gop_bits(100) == pytest.approx(40 * 1_080)
    assert window.gop_bits(40) == window.bits  # a window as long as the GOP needs no correction


def test_a_real_x264_sample_splits_into_one_costly_key_frame_and_cheap_predicted_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sample.h264"
    args = ["-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=1.6", "-c:v", "libx264"]
    args += ["-preset", "veryfast", "-crf", "28", "-g", "100", "-sc_threshold", "0"]
    RunControl(timeout_s=60).run([*args, "-f", "h264", str(path)])
    split = split_leading_key(path.read_bytes())
    assert split.key_bytes + split.rest_bytes == path.stat().st_size
    assert split.key_bytes > 3 * split.rest_bytes / 39, split  # 40 frames, one of them the key
