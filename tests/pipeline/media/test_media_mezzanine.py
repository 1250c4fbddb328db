"""The mezzanine: a chunk decoded once gives every rendition the same frames as the master."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av

from vodstack.pipeline.media import (
    EncoderSettings,
    encode_chunk,
    encode_from_mezzanine,
    mezzanine_bytes,
    plan_chunks,
    plan_normalization,
    probe,
    resolve_ladder,
    split_chunk,
)

from .asset_chain import TEST_LADDER

# Single-threaded x264 is deterministic: the same input frames give the same bitstream.
SERIAL = EncoderSettings(preset="ultrafast", threads=1)


def _frames(path: Path) -> list[tuple[int | None, str]]:
    with av.open(str(path)) as container:
        return [
            (frame.pts, hashlib.md5(frame.to_ndarray().tobytes()).hexdigest())
            for frame in container.decode(video=0)
        ]


def test_encoding_from_the_mezzanine_matches_encoding_from_the_master(
    clip: Path, tmp_path: Path
) -> None:
    info = probe(clip)
    norm = plan_normalization(info)
    chunk = plan_chunks(info, norm, chunk_s=4)[1]  # not the first: the split seeks
    rendition = resolve_ladder(TEST_LADDER, norm).video[0]
    mezzanine = split_chunk(clip, norm, chunk, tmp_path / "chunk.nut", threads=1)
    assert mezzanine.frames == chunk.frames
    assert mezzanine.size_bytes >= mezzanine_bytes(norm, chunk.frames), "raw 4:2:0 frames"
    direct = encode_chunk(clip, norm, chunk, rendition, tmp_path / "direct.mp4", settings=SERIAL)
    split = encode_from_mezzanine(
        mezzanine.path, norm, chunk, rendition, tmp_path / "split.mp4", settings=SERIAL
    )
    frames = _frames(split.path)
    assert len(frames) == chunk.frames
    assert frames == _frames(direct.path), "same frames at the same times"


def test_a_scaled_split_holds_the_same_frames_at_the_smaller_size(
    clip: Path, tmp_path: Path
) -> None:
    info = probe(clip)
    norm = plan_normalization(info)
    chunk = plan_chunks(info, norm, chunk_s=4)[1]
    small = split_chunk(clip, norm, chunk, tmp_path / "small.nut", threads=1, size=(160, 120))
    full = split_chunk(clip, norm, chunk, tmp_path / "full.nut", threads=1)
    assert small.size_bytes < full.size_bytes / 3, "a quarter of the pixels"
    with av.open(str(small.path)) as container:
        frames = list(container.decode(video=0))
    assert (frames[0].width, frames[0].height) == (160, 120)
    assert [f.pts for f in frames] == [pts for pts, _ in _frames(full.path)]
