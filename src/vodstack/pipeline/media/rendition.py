"""A packaged rendition as the manifests see it: its segments' timing and sizes, read from files.

Asset layout inside an asset-version root: `{rendition}/init.mp4`, `{rendition}/seg_NNNNN.m4s`
(numbered from 1), `{rendition}/index.m3u8`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path

from vodstack.pipeline.media.errors import InvalidAsset
from vodstack.pipeline.media.fmp4 import read_fragment, read_init
from vodstack.pipeline.media.ladder import CODEC_PREFERENCE, VideoCodec

INIT_NAME = "init.mp4"
SEGMENT_PATTERN = "seg_%05d.m4s"
SEGMENT_GLOB = "seg_*.m4s"
MEDIA_PLAYLIST = "index.m3u8"
FIRST_SEGMENT_NUMBER = 1


# The sample entry (the codec string's first field) of each video codec.
_CODEC_OF_ENTRY = {
    "avc1": VideoCodec.H264,
    "avc3": VideoCodec.H264,
    "av01": VideoCodec.AV1,
    "vp09": VideoCodec.VP9,
}


class RenditionKind(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class Segment:
    """One media segment as written: number, timing in track ticks, size."""

    number: int
    start: int
    duration: int
    size_bytes: int
    timescale: int

    @property
    def start_s(self) -> float:
        return self.start / self.timescale

    @property
    def duration_s(self) -> float:
        return self.duration / self.timescale

    @property
    def bitrate_bps(self) -> float:
        return self.size_bytes * 8 / self.duration_s if self.duration else 0.0

    @property
    def filename(self) -> str:
        return SEGMENT_PATTERN % self.number


@dataclass(frozen=True, slots=True)
class PackagedRendition:
    """A packaged rendition directory, described from its files."""

    name: str
    kind: RenditionKind
    codecs: str
    timescale: int
    segments: tuple[Segment, ...]
    width: int = 0
    height: int = 0
    frame_rate: Fraction | None = None  # measured: samples per second (video only)
    channels: int = 0
    sample_rate: int = 0

    @property
    def duration_s(self) -> float:
        return sum(s.duration for s in self.segments) / self.timescale

    @property
    def codec(self) -> VideoCodec | None:
        """The video codec, from the codec string the init segment gives (None: audio)."""
        return _CODEC_OF_ENTRY.get(self.codecs.split(".")[0])

    @property
    def peak_bps(self) -> int:
        """Peak segment bit rate (the HLS BANDWIDTH definition)."""
        return round(max(s.bitrate_bps for s in self.segments))

    @property
    def average_bps(self) -> int:
        total_bits = sum(s.size_bytes for s in self.segments) * 8
        return round(total_bits / self.duration_s)


def codec_groups(video: Sequence[PackagedRendition]) -> list[list[PackagedRendition]]:
    """Video renditions by codec, H.264 first then the others most efficient first (the
    order legacy players that take the first variant can still play), each by peak rate."""
    order = [VideoCodec.H264, *(c for c in CODEC_PREFERENCE if c is not VideoCodec.H264)]
    rank = {codec: i for i, codec in enumerate(order)}
    groups: dict[VideoCodec | None, list[PackagedRendition]] = {}
    last = len(rank)
    ordered = sorted(video, key=lambda r: (rank[r.codec] if r.codec else last, r.peak_bps))
    for rendition in ordered:
        groups.setdefault(rendition.codec, []).append(rendition)
    return list(groups.values())


def describe_rendition(rendition_dir: Path) -> PackagedRendition:
    """Measure a packaged rendition from its files (init + every segment)."""
    init = rendition_dir / INIT_NAME
    if not init.is_file():
        raise InvalidAsset([f"{rendition_dir.name}: {INIT_NAME} is missing"])
    tracks = read_init(init)
    if len(tracks) != 1:
        raise InvalidAsset([f"{rendition_dir.name}: expected one track, found {len(tracks)}"])
    track = tracks[0]
    segments, samples = _read_segments(
        rendition_dir, track.timescale, track.default_sample_duration
    )
    video = track.handler == "vide"
    total = sum(seg.duration for seg in segments)
    return PackagedRendition(
        name=rendition_dir.name,
        kind=RenditionKind.VIDEO if video else RenditionKind.AUDIO,
        codecs=track.codecs,
        timescale=track.timescale,
        segments=segments,
        width=track.width,
        height=track.height,
        frame_rate=Fraction(samples * track.timescale, total).limit_denominator(1001)
        if video and total
        else None,
        channels=track.channels,
        sample_rate=track.sample_rate,
    )


def _read_segments(
    rendition_dir: Path, timescale: int, default_duration: int
) -> tuple[tuple[Segment, ...], int]:
    paths = sorted(rendition_dir.glob(SEGMENT_GLOB))
    if not paths:
        raise InvalidAsset([f"{rendition_dir.name}: no media segments"])
    segments: list[Segment] = []
    samples = 0
    for number, path in enumerate(paths, start=FIRST_SEGMENT_NUMBER):
        if path.name != SEGMENT_PATTERN % number:
            raise InvalidAsset([f"{rendition_dir.name}: expected {SEGMENT_PATTERN % number}"])
        fragment = read_fragment(path, default_duration)
        samples += fragment.samples
        segments.append(
            Segment(
                number=number,
                start=fragment.decode_start,
                duration=fragment.duration,
                size_bytes=path.stat().st_size,
                timescale=timescale,
            )
        )
    return tuple(segments), samples
