"""Masters in containers without an index are remuxed to Matroska before anything seeks in them.

MPEG-TS and MPEG-PS (what OBS, broadcast recorders and camcorders write) carry no index, so
ffmpeg seeks in them by bisecting timestamps: an input seek lands past the keyframe before the
point asked and nothing decodes until the next one. With a long GOP a chunk's split came out
empty and the thumbnails had no frame, so the job failed after its encodes. Their timestamps may
also jump (two recordings joined, a recorder restarted); ffmpeg's demuxer removes a jump when it
reads the file through, but a seek does not, so the job was planned at the jump's length.

A stream copy into Matroska (every codec fits, a cue per keyframe) costs one read of the file
and fixes both: the seeks of every later task use the cues, and the copy's timestamps are the
continuous ones. Only the video and audio are kept: the pipeline reads nothing else, and a
transport stream's data streams (SCTE-35, teletext) do not fit Matroska.
"""

from __future__ import annotations

from pathlib import Path

import av

from vodstack.pipeline.media.ffmpeg import FfmpegRunner

# libavformat's demuxer names for containers without an index.
INDEXLESS_FORMATS = frozenset({"mpegts", "mpeg", "mpegvideo", "vob"})
REMUX_EXTENSION = ".mkv"
_REMUX_TIMEOUT_S = 3600.0


def needs_remux(path: Path) -> bool:
    """Whether `path` is a container ffmpeg cannot seek in reliably (no index)."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            names = set(container.format.name.split(","))
    except (av.error.FFmpegError, UnicodeDecodeError):
        return False  # not media at all: the probe says so, in its own words
    return bool(names & INDEXLESS_FORMATS)


def remux_to_matroska(source: Path, target: Path, runner: FfmpegRunner | None = None) -> Path:
    """Copy `source`'s video and audio streams, unchanged, into Matroska at `target`."""
    args = [
        "-i", str(source),
        "-map", "0:v", "-map", "0:a?", "-c", "copy",
        "-f", "matroska", str(target),
    ]  # fmt: skip
    (runner or FfmpegRunner()).run(args, timeout_s=_REMUX_TIMEOUT_S)
    return target
