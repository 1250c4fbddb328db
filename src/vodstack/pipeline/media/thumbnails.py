"""Trick-play thumbnails: JPEG sprite sheets every 10 s + a WebVTT index (the poster: poster.py).

The WebVTT file has one cue per interval, `sprite_NNN.jpg#xywh=x,y,w,h` (the media-fragment form
players such as Video.js and Shaka use for seek previews); paths are relative to `thumbs/`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media.errors import EncodeFailed
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.normalize import Normalization

THUMBS_DIR = "thumbs"
VTT_NAME = "thumbs.vtt"
SPRITE_PATTERN = "sprite_%03d.jpg"


@dataclass(frozen=True, slots=True)
class Trickplay:
    """Sprite sheets and their WebVTT index."""

    vtt: Path
    sprites: tuple[Path, ...]
    interval_s: float
    thumb_width: int
    thumb_height: int
    columns: int
    rows: int
    count: int


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _deinterlace(norm: Normalization) -> list[str]:
    return ["bwdif=mode=send_frame:deint=all"] if norm.deinterlace else []


def make_trickplay(
    source: Path,
    norm: Normalization,
    duration_s: float,
    out_dir: Path,
    *,
    interval_s: float = 10.0,
    thumb_width: int = 160,
    columns: int = 5,
    rows: int = 5,
    control: RunControl = DEFAULT_CONTROL,
) -> Trickplay:
    """Sprite sheets of `columns` x `rows` thumbnails, one per `interval_s`, and `thumbs.vtt`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    thumb_height = _even(thumb_width * norm.height / norm.width)
    filters = [
        *_deinterlace(norm),
        f"fps=fps=1/{interval_s:g}:round=down",
        f"scale={thumb_width}:{thumb_height}",
        "setsar=1",
        f"tile={columns}x{rows}",
    ]
    args = ["-i", str(source), "-map", "0:v:0", "-vf", ",".join(filters)]
    args += ["-q:v", "5", "-f", "image2", str(out_dir / SPRITE_PATTERN)]
    control.run(args)
    count = max(1, math.ceil(duration_s / interval_s - 1e-6))
    per_sheet = columns * rows
    sprites = tuple(out_dir / (SPRITE_PATTERN % (i + 1)) for i in range(-(-count // per_sheet)))
    missing = [p.name for p in sprites if not p.is_file()]
    if missing:
        raise EncodeFailed(f"trick-play sprites missing: {', '.join(missing)}")
    vtt = out_dir / VTT_NAME
    vtt.write_text(
        webvtt(count, duration_s, interval_s, thumb_width, thumb_height, columns, rows),
        encoding="utf-8",
    )
    return Trickplay(
        vtt, sprites, interval_s, thumb_width, thumb_height, columns, rows, count=count
    )


def webvtt(
    count: int,
    duration_s: float,
    interval_s: float,
    thumb_width: int,
    thumb_height: int,
    columns: int,
    rows: int,
) -> str:
    """The WebVTT index: cue i covers [i x interval, (i+1) x interval) and points into a sheet."""
    per_sheet = columns * rows
    lines = ["WEBVTT", ""]
    for i in range(count):
        start, end = i * interval_s, min((i + 1) * interval_s, duration_s)
        sheet, cell = divmod(i, per_sheet)
        x, y = (cell % columns) * thumb_width, (cell // columns) * thumb_height
        lines += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{SPRITE_PATTERN % (sheet + 1)}#xywh={x},{y},{thumb_width},{thumb_height}",
            "",
        ]
    return "\n".join(lines)


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"
