"""The mezzanine: one chunk of the source decoded once, normalized, as raw 4:2:0 frames.

Encoding every chunk x rendition straight from the master decodes (and seeks into) the master
once per rendition: five 1080p decodes instead of the one a single-command ladder does. So a
chunk is first *split*: decoded once, resampled to the frame grid, deinterlaced and converted to
8-bit 4:2:0 (the same `grid_window` + normalization as a direct chunk encode), and written as
uncompressed `yuv420p` in NUT (`rawvideo`). Reading it back costs a memory copy (about 0.2 s of
system time per GB from the page cache); there is no decoder. Every rendition of the chunk then
reads the mezzanine, scales and encodes, with the same scale filters and x264 arguments as
`encode_chunk`, so the outputs are the same frames at the same times.

Why raw NUT (measured on 12 s of 1080p, see docs/pipeline.md): writing is the cheapest of the
containers tried (NUT, y4m, headerless raw cost the same to read; NUT had the least system time
to write) and it carries size, rate and timestamps; `utvideo` shrank the file but its encode and
five decodes cost more CPU than the 1080p H.264 decode it replaces; `ffv1` is slower still.
The price is disk: width x height x 1.5 bytes a frame (3.1 MB at 1080p, 12.4 MB at 2160p).

The split is also the master's deep validation: it runs with `-xerror`, so a frame the decoder
finds damaged fails it (media.integrity then names the time position) instead of a concealed
glitch being published.

A split may also scale (`size`): the preview pass's mezzanine is at its largest rung's size, so
its rungs read a ninth of the bytes of a 1080p frame and scale from there. That downscale
averages areas (`area`): for a 3:1 reduction it is the anti-aliased choice, and it cost a
quarter of bicubic's time on top of the decode (0.25 vs 0.9 s per 20 s of 1080p, one core).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media.encode import (
    Chunk,
    EncodedFile,
    EncoderSettings,
    grid_window,
    keyframe_times,
    video_codec_args,
)
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.ladder import VideoRendition
from vodstack.pipeline.media.normalize import Normalization, output_filters

MEZZANINE_SUFFIX = ".nut"
_PIX_FMT = "yuv420p"
_BYTES_PER_PIXEL = 1.5  # 8-bit 4:2:0


@dataclass(frozen=True, slots=True)
class Mezzanine:
    """A split chunk on disk."""

    path: Path
    size_bytes: int
    frames: int
    elapsed_s: float


def mezzanine_bytes(norm: Normalization, frames: int) -> int:
    """Size of `frames` mezzanine frames of the normalized picture (container overhead aside)."""
    return int(norm.width * norm.height * _BYTES_PER_PIXEL * frames)


def split_command(
    source: Path,
    norm: Normalization,
    chunk: Chunk,
    out_path: Path,
    *,
    threads: int = 0,
    size: tuple[int, int] | None = None,
) -> list[str]:
    """ffmpeg arguments decoding the chunk's grid frames once into a raw 4:2:0 NUT file, at
    the normalized picture's size or scaled to `size` (width, height)."""
    inputs, window = grid_window(source, norm, chunk.first_frame, chunk.end_frame)
    decoder = ["-threads", str(threads), "-filter_threads", str(threads)] if threads else []
    picture = output_filters(*size, scaler="area") if size else [f"format={_PIX_FMT}"]
    filters = [*window, *picture]
    return [
        # Any corrupt frame fails the split: the one full decode of the master is its deep check.
        "-xerror",
        *decoder,
        *inputs,
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        ",".join(filters),
        "-c:v",
        "rawvideo",
        "-f",
        "nut",
        str(out_path),
    ]


def mezzanine_encode_command(
    mezzanine: Path,
    norm: Normalization,
    chunk: Chunk,
    rendition: VideoRendition,
    out_path: Path,
    settings: EncoderSettings,
) -> list[str]:
    """ffmpeg arguments encoding one rendition of a chunk from its mezzanine."""
    force = ",".join(f"{t:.6f}" for t in keyframe_times(chunk, norm, settings.segment_s))
    scale = ",".join(output_filters(rendition.width, rendition.height))
    # One filter thread too when the encoder is single-threaded: the worker-scaling mode.
    filter_threads = ["-filter_threads", str(settings.threads)] if settings.threads else []
    return [
        "-i",
        str(mezzanine),
        *filter_threads,
        "-map",
        "0:v:0",
        "-vf",
        scale,
        "-an",
        *video_codec_args(rendition, settings),
        "-force_key_frames",
        force,
        "-f",
        "mp4",
        str(out_path),
    ]


def split_chunk(
    source: Path,
    norm: Normalization,
    chunk: Chunk,
    out_path: Path,
    *,
    threads: int = 0,
    size: tuple[int, int] | None = None,
    control: RunControl = DEFAULT_CONTROL,
) -> Mezzanine:
    """Decode `chunk` of `source` once into the mezzanine at `out_path` (scaled to `size`)."""
    args = split_command(source, norm, chunk, out_path, threads=threads, size=size)
    run = control.run(args)
    return Mezzanine(out_path, out_path.stat().st_size, chunk.frames, run.elapsed_s)


def encode_from_mezzanine(
    mezzanine: Path,
    norm: Normalization,
    chunk: Chunk,
    rendition: VideoRendition,
    out_path: Path,
    *,
    settings: EncoderSettings | None = None,
    control: RunControl = DEFAULT_CONTROL,
) -> EncodedFile:
    """Encode one rendition of a split chunk into an MP4 at `out_path` (timestamps from zero)."""
    settings = settings or EncoderSettings()
    args = mezzanine_encode_command(mezzanine, norm, chunk, rendition, out_path, settings)
    run = control.run(args)
    return EncodedFile(out_path, out_path.stat().st_size, run.elapsed_s)
