"""Check a packaged asset version before it is published: nothing missing, everything aligned,
segments decodable. Every finding is collected, then raised together as `InvalidAsset`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import av
import av.error

from vodstack.pipeline.media.errors import InvalidAsset
from vodstack.pipeline.media.package import DASH_MANIFEST, MASTER_PLAYLIST
from vodstack.pipeline.media.poster import POSTER_NAME
from vodstack.pipeline.media.rendition import (
    INIT_NAME,
    MEDIA_PLAYLIST,
    PackagedRendition,
    RenditionKind,
    describe_rendition,
)
from vodstack.pipeline.media.thumbnails import THUMBS_DIR, VTT_NAME

_URI = re.compile(r'URI="([^"]+)"')


class DecodeCheck(StrEnum):
    """How many segments to decode: all (thorough), first/middle/last (quick), none."""

    ALL = "all"
    SAMPLE = "sample"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class AssetReport:
    renditions: tuple[PackagedRendition, ...]
    segments_decoded: int
    duration_s: float


def validate_asset(
    root: Path,
    *,
    decode: DecodeCheck = DecodeCheck.ALL,
    require_extras: bool = True,
    decryption_key: bytes | None = None,
) -> AssetReport:
    """Validate the asset version under `root`; raise `InvalidAsset` listing every problem.

    An encrypted version (media.protection) is decoded with its `decryption_key`."""
    problems: list[str] = []
    required = [MASTER_PLAYLIST, DASH_MANIFEST]
    if require_extras:
        # quality.json is not required: VMAF reports on a version after it is published.
        required += [POSTER_NAME, f"{THUMBS_DIR}/{VTT_NAME}"]
    problems += [f"{name} is missing" for name in required if not (root / name).is_file()]
    if problems:
        raise InvalidAsset(problems)
    renditions = [_describe(root, name, problems) for name in referenced_renditions(root)]
    found = [r for r in renditions if r is not None]
    problems += _alignment_problems(found)
    decoded = 0
    for rendition in found:
        decoded += _decode_problems(
            root / rendition.name, rendition, decode, problems, decryption_key
        )
    if problems:
        raise InvalidAsset(problems)
    return AssetReport(tuple(found), decoded, max(r.duration_s for r in found))


def referenced_renditions(root: Path) -> list[str]:
    """Rendition directory names the master playlist points at (audio group first)."""
    names: list[str] = []
    for line in (root / MASTER_PLAYLIST).read_text(encoding="utf-8").splitlines():
        uris = _URI.findall(line) if line.startswith("#") else [line.strip()]
        names += [uri.split("/")[0] for uri in uris if uri.endswith(MEDIA_PLAYLIST)]
    return list(dict.fromkeys(names))


def _describe(root: Path, name: str, problems: list[str]) -> PackagedRendition | None:
    directory = root / name
    try:
        rendition = describe_rendition(directory)
    except InvalidAsset as exc:
        problems.extend(exc.problems)
        return None
    playlist = directory / MEDIA_PLAYLIST
    if not playlist.is_file():
        problems.append(f"{name}/{MEDIA_PLAYLIST} is missing")
        return rendition
    listed = [ln for ln in playlist.read_text(encoding="utf-8").splitlines() if ln.endswith(".m4s")]
    if listed != [s.filename for s in rendition.segments]:
        problems.append(f"{name}/{MEDIA_PLAYLIST} does not list exactly the segments on disk")
    return rendition


def _alignment_problems(renditions: Sequence[PackagedRendition]) -> list[str]:
    video = [r for r in renditions if r.kind is RenditionKind.VIDEO]
    audio = [r for r in renditions if r.kind is RenditionKind.AUDIO]
    if not video:
        return ["no video rendition"]
    if not audio:
        return ["no audio rendition"]
    problems = []
    reference = video[0]
    frame_s = 1 / float(reference.frame_rate or 1)
    for other in video[1:]:
        if len(other.segments) != len(reference.segments):
            problems.append(
                f"{other.name} has {len(other.segments)} segments, "
                f"{reference.name} has {len(reference.segments)}"
            )
            continue
        for mine, theirs in zip(reference.segments, other.segments, strict=True):
            if abs(mine.start_s - theirs.start_s) > frame_s / 2:
                problems.append(
                    f"segment {mine.number} starts at {theirs.start_s:.3f} s in {other.name} "
                    f"but at {mine.start_s:.3f} s in {reference.name}"
                )
    for track in audio:  # one per language and layout
        if abs(len(track.segments) - len(reference.segments)) > 1:
            problems.append(
                f"audio {track.name} has {len(track.segments)} segments, "
                f"video {len(reference.segments)}"
            )
    return problems


def _decode_problems(
    directory: Path,
    rendition: PackagedRendition,
    decode: DecodeCheck,
    problems: list[str],
    key: bytes | None,
) -> int:
    segments = list(rendition.segments)
    if decode is DecodeCheck.NONE:
        return 0
    if decode is DecodeCheck.SAMPLE:
        segments = [segments[i] for i in sorted({0, len(segments) // 2, len(segments) - 1})]
    init = (directory / INIT_NAME).read_bytes()
    for segment in segments:
        problem = decode_segment(init, directory / segment.filename, key)
        if problem:
            problems.append(f"{rendition.name}/{segment.filename}: {problem}")
    return len(segments)


def decode_segment(init: bytes, path: Path, key: bytes | None = None) -> str | None:
    """Decode one segment (prefixed with its init); a problem description, or None if fine.

    `key` decrypts a CENC-encrypted segment (the MP4 demuxer's `decryption_key`)."""
    frames = 0
    options = {"decryption_key": key.hex()} if key is not None else {}
    data = io.BytesIO(init + path.read_bytes())
    try:
        with av.open(data, mode="r", format="mp4", options=options) as container:
            stream = container.streams[0]
            for _ in container.decode(stream):
                frames += 1
    except (av.error.FFmpegError, OSError) as exc:
        return f"does not decode ({exc})"
    if frames == 0:
        return "decodes to no frames"
    return None
