"""Validate an uploaded source with PyAV (in process) and describe it as a `SourceInfo`.

Validation happens before any encode work and rejects, each with its own `InvalidReason` and a
message the uploader can act on: empty files, files that are not media, media without a video
stream, undecodable or truncated files, zero or over-limit duration, frames larger than the
limit (8K by default) or smaller than the minimum (32x32: the bundled libvmaf crashes on 16x16
frames and below, and nothing that small is worth a ladder). The packet scan that finds
keyframes also measures where the data really ends, so a file whose header promises more than it
holds is reported as truncated; a last second that cannot be decoded because the data before it
is damaged is reported as corrupt, with the time position.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error

from vodstack.pipeline.media.errors import InvalidMedia, InvalidReason, corrupt_media

# A file whose video data stops this much before its declared end is called truncated.
_TRUNCATION_SLACK_S = 1.0
_EDGE_DECODE_S = 1.0
_EDGE_DECODE_MAX_FRAMES = 60
# How far ahead of a keyframe a retried seek aims: an MPEG-PS seek to a keyframe's own time
# lands just past it (measured: 0.5 s ahead is enough).
_SEEK_MARGIN_S = 1.0


@dataclass(frozen=True, slots=True)
class ProbeLimits:
    """What the platform accepts; configurable per deployment."""

    min_duration_s: float = 0.5
    max_duration_s: float = 4 * 3600.0
    max_width: int = 7680
    max_height: int = 4320
    # Measured: libvmaf segfaults on frames of 16x16 and below, works from 18x18; 32 leaves room.
    min_side: int = 32


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """One audio stream of a source: `index` counts audio streams only (ffmpeg's `0:a:N`)."""

    codec: str
    channels: int
    sample_rate: int
    layout: str
    index: int = 0
    language: str = ""  # as tagged (ISO 639-2 mostly: "eng", "fre"); "" when untagged
    title: str = ""  # the stream's own title tag, e.g. "Director's commentary"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Everything later steps need to know about a validated source."""

    container: str
    size_bytes: int
    duration_s: float
    start_time_s: float
    video_codec: str
    width: int  # coded (stored) frame size, before rotation
    height: int
    sample_aspect_ratio: Fraction
    rotation: int  # display rotation in degrees: 0, 90, 180 or 270
    fps: Fraction  # average frame rate over the file
    variable_frame_rate: bool
    frame_count: int
    pix_fmt: str
    bit_depth: int
    interlaced: bool
    audio: AudioInfo | None  # the first audio stream (every stream: `audio_streams`)
    keyframe_times: tuple[float, ...] = field(repr=False)
    audio_streams: tuple[AudioInfo, ...] = ()

    @property
    def display_width(self) -> int:
        """Width as shown to a viewer: sample aspect ratio and rotation applied."""
        width, _height = self._display_size()
        return width

    @property
    def display_height(self) -> int:
        """Height as shown to a viewer: sample aspect ratio and rotation applied."""
        _width, height = self._display_size()
        return height

    def _display_size(self) -> tuple[int, int]:
        width = round(self.width * self.sample_aspect_ratio)
        if self.rotation in (90, 270):
            return self.height, width
        return width, self.height

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description, for storing with the job."""
        data = asdict(self)
        data["sample_aspect_ratio"] = str(self.sample_aspect_ratio)
        data["fps"] = str(self.fps)
        data["display_width"] = self.display_width
        data["display_height"] = self.display_height
        data["keyframe_times"] = list(self.keyframe_times)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceInfo:
        """The inverse of `to_dict`: lets another process skip probing the same file again."""
        fields = {k: v for k, v in data.items() if k not in ("display_width", "display_height")}
        audio = fields.pop("audio")
        streams = fields.pop("audio_streams", None) or ([audio] if audio is not None else [])
        return cls(
            **{
                **fields,
                "sample_aspect_ratio": Fraction(fields["sample_aspect_ratio"]),
                "fps": Fraction(fields["fps"]),
                "keyframe_times": tuple(fields["keyframe_times"]),
                "audio": AudioInfo(**audio) if audio is not None else None,
                "audio_streams": tuple(AudioInfo(**stream) for stream in streams),
            }
        )


def probe(path: Path, limits: ProbeLimits | None = None) -> SourceInfo:
    """Validate `path` and describe it. Raises `InvalidMedia` with a clear message."""
    limits = limits or ProbeLimits()
    size = _checked_size(path)
    container = _open(path)
    with container:
        video = _video_stream(container)
        width, height = _checked_dimensions(video, limits)
        scan = _scan_packets(container, video)
        duration = _checked_duration(container, video, scan, limits)
        first = _decode_first(path, duration)
        _decode_last(path, duration, scan.keyframes)
        audio_streams = _audio_streams(container)
        fmt = video.codec_context.pix_fmt or first.format.name
        return SourceInfo(
            container=container.format.name,
            size_bytes=size,
            duration_s=duration,
            start_time_s=(container.start_time or 0) / 1_000_000,
            video_codec=video.codec_context.name,
            width=width,
            height=height,
            sample_aspect_ratio=_sample_aspect_ratio(video),
            rotation=round(first.rotation) % 360,
            fps=_average_fps(video, scan, duration),
            variable_frame_rate=scan.variable,
            frame_count=scan.frames,
            pix_fmt=fmt,
            bit_depth=_bit_depth(fmt),
            interlaced=bool(first.interlaced_frame) or _field_order_interlaced(video),
            audio=audio_streams[0] if audio_streams else None,
            keyframe_times=tuple(scan.keyframes),
            audio_streams=audio_streams,
        )


@dataclass(slots=True)
class _Scan:
    frames: int = 0
    end_s: float = 0.0
    keyframes: list[float] = field(default_factory=list)
    variable: bool = False


def _checked_size(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidMedia(InvalidReason.NOT_MEDIA, f"cannot read the file: {exc}") from exc
    if size == 0:
        raise InvalidMedia(InvalidReason.EMPTY, "the file is empty (0 bytes)")
    return size


def _open(path: Path) -> Any:
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        if _looks_like_iso_bmff(path):
            raise InvalidMedia(
                InvalidReason.TRUNCATED,
                "the file starts like an MP4/MOV but its index cannot be read; "
                "the upload was probably cut short",
            ) from exc
        raise InvalidMedia(
            InvalidReason.NOT_MEDIA, "the file is not a recognised audio/video format"
        ) from exc


def _looks_like_iso_bmff(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(12)
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide")


def _video_stream(container: Any) -> Any:
    streams = [s for s in container.streams.video if not _is_cover_art(s)]
    if not streams:
        has_audio = bool(container.streams.audio)
        kind = "only audio" if has_audio else "no video"
        raise InvalidMedia(
            InvalidReason.NO_VIDEO, f"the file has {kind}; a video stream is required"
        )
    return streams[0]


def _is_cover_art(stream: Any) -> bool:
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _checked_dimensions(video: Any, limits: ProbeLimits) -> tuple[int, int]:
    width, height = int(video.codec_context.width), int(video.codec_context.height)
    if width <= 0 or height <= 0:
        raise InvalidMedia(
            InvalidReason.UNDECODABLE, "the video stream declares no frame size; cannot decode it"
        )
    long_side, short_side = max(width, height), min(width, height)
    if long_side > limits.max_width or short_side > limits.max_height:
        raise InvalidMedia(
            InvalidReason.TOO_LARGE,
            f"the video is {width}x{height}; the largest accepted frame is "
            f"{limits.max_width}x{limits.max_height}",
        )
    if short_side < limits.min_side:
        raise InvalidMedia(
            InvalidReason.TOO_SMALL,
            f"the video is {width}x{height}; the smallest accepted frame is "
            f"{limits.min_side}x{limits.min_side}",
        )
    return width, height


def _scan_packets(container: Any, video: Any) -> _Scan:
    """Demux (no decode) every video packet: keyframe times, frame count, real end, VFR."""
    scan = _Scan()
    base = video.start_time if video.start_time is not None else 0
    tb = video.time_base
    times: list[int] = []
    try:
        for packet in container.demux(video):
            if packet.pts is None or packet.size == 0:
                continue
            scan.frames += 1
            times.append(packet.pts)
            end = packet.pts + (packet.duration or 0)
            scan.end_s = max(scan.end_s, float((end - base) * tb))
            if packet.is_keyframe:
                scan.keyframes.append(round(float((packet.pts - base) * tb), 6))
    except av.error.FFmpegError:
        pass  # a damaged tail: the truncation check below judges how much is missing
    container.seek(0)
    scan.keyframes.sort()
    scan.variable = _is_variable(sorted(times))
    return scan


def _is_variable(pts: list[int]) -> bool:
    deltas = [b - a for a, b in itertools.pairwise(pts) if b > a]
    if len(deltas) < 3:
        return False
    typical = statistics.median(deltas)
    odd = sum(1 for d in deltas if abs(d - typical) > 0.1 * typical)
    return odd > 0.01 * len(deltas)


def _checked_duration(container: Any, video: Any, scan: _Scan, limits: ProbeLimits) -> float:
    declared = _declared_duration(container, video)
    if scan.frames == 0:
        raise InvalidMedia(
            InvalidReason.UNDECODABLE, "the video stream contains no frames that can be read"
        )
    if declared is not None and declared - scan.end_s > max(_TRUNCATION_SLACK_S, 0.1 * declared):
        raise InvalidMedia(
            InvalidReason.TRUNCATED,
            f"the file declares {declared:.1f} s but its video data stops at "
            f"{scan.end_s:.1f} s; the upload was probably cut short",
        )
    duration = scan.end_s
    if duration < limits.min_duration_s:
        raise InvalidMedia(
            InvalidReason.ZERO_DURATION,
            f"the video lasts {duration:.2f} s; at least {limits.min_duration_s:g} s is required",
        )
    if duration > limits.max_duration_s:
        raise InvalidMedia(
            InvalidReason.TOO_LONG,
            f"the video lasts {duration:.0f} s; the limit is {limits.max_duration_s:.0f} s",
        )
    return duration


def _declared_duration(container: Any, video: Any) -> float | None:
    if video.duration is not None and video.duration > 0:
        return float(video.duration * video.time_base)
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / 1_000_000
    return None


def _decode_first(path: Path, duration: float) -> Any:
    frames, _broken_at = _decode_window(path, start_s=0.0, span_s=min(_EDGE_DECODE_S, duration))
    if not frames:
        raise InvalidMedia(
            InvalidReason.UNDECODABLE, "no frame of the video could be decoded; the file is damaged"
        )
    return frames[0]


def _decode_last(path: Path, duration: float, keyframes: list[float]) -> None:
    start = max(0.0, duration - _EDGE_DECODE_S)
    frames, broken_at = _decode_window(path, start_s=start, span_s=duration - start)
    if not frames and broken_at is None:
        # MPEG-TS and MPEG-PS have no index: the demuxer's seek lands past the keyframe before
        # `start` and nothing decodes from there. Seek again, ahead of that keyframe.
        seek = _before_keyframe(keyframes, start)
        frames, broken_at = _decode_window(
            path, start_s=start, span_s=duration - start, seek_s=seek
        )
    if not frames:
        if broken_at is not None and broken_at < start:
            # Decoding from the last keyframe broke before the last second: damage, not a cut.
            raise corrupt_media("video", broken_at)
        raise InvalidMedia(
            InvalidReason.TRUNCATED,
            "the last second of the video cannot be decoded; the file is probably truncated",
        )


def _before_keyframe(keyframes: list[float], t_s: float) -> float:
    """A seek point ahead of the last keyframe at or before `t_s` (0: decode from the start)."""
    key = max((k for k in keyframes if k <= t_s), default=0.0)
    return max(0.0, key - _SEEK_MARGIN_S)


def _decode_window(
    path: Path, *, start_s: float, span_s: float, seek_s: float | None = None
) -> tuple[list[Any], float | None]:
    """Decode frames presented in [start_s, start_s + span_s]; a fresh handle per window.
    Seeks to `seek_s` (default `start_s`) first. Also returns the time of the last frame
    decoded before a decode error stopped it, if one did.
    """
    seek_s = start_s if seek_s is None else seek_s
    frames: list[Any] = []
    last: float | None = None
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            video = _video_stream(container)
            # Frame threads: the last second of a long-GOP master decodes from its keyframe (up
            # to 10 s of video); PROBE is alone on the critical path, so the other cores help.
            video.thread_type = "AUTO"
            base = video.start_time if video.start_time is not None else 0
            if seek_s > 0:
                container.seek(int(seek_s / video.time_base) + base, stream=video, backward=True)
            for frame in container.decode(video):
                if frame.pts is None:
                    continue
                t = last = float((frame.pts - base) * video.time_base)
                if t + 1e-6 >= start_s:
                    frames.append(frame)
                if t > start_s + span_s or len(frames) >= _EDGE_DECODE_MAX_FRAMES:
                    break
    except av.error.FFmpegError:
        return frames, last
    return frames, None


def _audio_streams(container: Any) -> tuple[AudioInfo, ...]:
    return tuple(_audio_info(stream, index) for index, stream in enumerate(container.streams.audio))


def _audio_info(stream: Any, index: int) -> AudioInfo:
    ctx = stream.codec_context
    layout = ctx.layout
    metadata = stream.metadata or {}
    return AudioInfo(
        codec=ctx.name,
        channels=int(layout.nb_channels) if layout is not None else int(ctx.channels),
        sample_rate=int(ctx.sample_rate),
        layout=str(layout.name) if layout is not None else "unknown",
        index=index,
        language=str(metadata.get("language", "")),
        # Matroska calls it `title`; MP4 keeps it in the track's `name` box.
        title=str(metadata.get("title") or metadata.get("name") or ""),
    )


def _sample_aspect_ratio(video: Any) -> Fraction:
    sar = video.sample_aspect_ratio or video.codec_context.sample_aspect_ratio
    if not sar or sar <= 0:
        return Fraction(1)
    return Fraction(sar)


def _average_fps(video: Any, scan: _Scan, duration: float) -> Fraction:
    rate = video.average_rate or video.guessed_rate
    if rate and rate > 0 and not scan.variable:
        return Fraction(rate)
    measured = scan.frames / duration
    return Fraction(measured).limit_denominator(1001)


def _bit_depth(pix_fmt: str) -> int:
    try:
        return int(av.VideoFormat(pix_fmt).components[0].bits)
    except (ValueError, IndexError):
        return 8


def _field_order_interlaced(video: Any) -> bool:
    order = getattr(video.codec_context, "field_order", None)
    # AVFieldOrder: 0 unknown, 1 progressive, 2.. one of the interlaced orders
    return isinstance(order, int) and order >= 2
