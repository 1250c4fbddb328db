"""The bitrate ladder as data: rungs, the default H.264 ladder, and resolving it for a source.

A `Rung` names a target picture size (its short side, so portrait video gets the same ladder
turned on its side), a capped-VBR budget and a codec. `resolve_ladder` keeps only the rungs the
source can fill (never upscale), computes even dimensions from the display aspect ratio and the
H.264 level, and gives every rendition its RFC 6381 `CODECS` string. Per-title ladders and other
codecs are new `Ladder` values, not new code paths: `with_codecs` adds an AV1 or VP9 copy of
every rung (named `v720p-av1`, so the edge still reads the height from the folder name), with
the budget scaled by how much fewer bits that codec needs for the same quality.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from fractions import Fraction

from vodstack.pipeline.media.normalize import Normalization


class VideoCodec(StrEnum):
    H264 = "h264"
    AV1 = "av1"
    VP9 = "vp9"


#: Most efficient first: the order a player prefers the codecs it can decode in.
CODEC_PREFERENCE = (VideoCodec.AV1, VideoCodec.VP9, VideoCodec.H264)

# Bits a rung of this codec gets for the quality H.264 reaches with 1.0: SVT-AV1 at a fast
# preset and libvpx-vp9 at speed 4 spend about 35 % and 25 % fewer bits at equal VMAF
# (bench/video_codecs.py measures it; docs/benchmarks.md).
BUDGET_FACTOR = {VideoCodec.H264: 1.0, VideoCodec.AV1: 0.65, VideoCodec.VP9: 0.75}


class H264Profile(StrEnum):
    BASELINE = "baseline"
    MAIN = "main"
    HIGH = "high"


_PROFILE_IDC = {H264Profile.BASELINE: 0x42, H264Profile.MAIN: 0x4D, H264Profile.HIGH: 0x64}
_CONSTRAINTS = {H264Profile.BASELINE: 0xE0, H264Profile.MAIN: 0x40, H264Profile.HIGH: 0x00}

# H.264 Annex A: (level, max macroblocks/s, max frame macroblocks, max kbit/s for Main).
_LEVELS: tuple[tuple[str, int, int, int], ...] = (
    ("1.3", 11_880, 396, 768),
    ("2.0", 11_880, 396, 2_000),
    ("2.1", 19_800, 792, 4_000),
    ("2.2", 20_250, 1_620, 4_000),
    ("3.0", 40_500, 1_620, 10_000),
    ("3.1", 108_000, 3_600, 14_000),
    ("3.2", 216_000, 5_120, 20_000),
    ("4.0", 245_760, 8_192, 20_000),
    ("4.1", 245_760, 8_192, 50_000),
    ("4.2", 522_240, 8_704, 50_000),
    ("5.0", 589_824, 22_080, 135_000),
    ("5.1", 983_040, 36_864, 240_000),
    ("5.2", 2_073_600, 36_864, 240_000),
    ("6.0", 4_177_920, 139_264, 240_000),
)


@dataclass(frozen=True, slots=True)
class Rung:
    """One video rung: short-side size and capped-VBR budget (kbit/s; bufsize in kbit)."""

    name: str
    height: int
    bitrate_kbps: int
    maxrate_kbps: int
    bufsize_kbit: int
    codec: VideoCodec = VideoCodec.H264
    profile: H264Profile = H264Profile.HIGH


@dataclass(frozen=True, slots=True)
class AudioRung:
    """An audio rendition: AAC-LC, its own rendition shared by every video rung. A source with
    several audio streams (languages, 5.1) gets one per stream and layout (media.audio_tracks)."""

    name: str = "a128k"
    bitrate_kbps: int = 128
    channels: int = 2
    sample_rate: int = 48_000
    codecs: str = "mp4a.40.2"
    stream: int = 0  # which audio stream of the source (ffmpeg's `0:a:N`)
    language: str = "und"  # BCP 47
    label: str = ""  # what a player's menu shows; "" = the language's name
    default: bool = True  # the one a player starts with


@dataclass(frozen=True, slots=True)
class Ladder:
    video: tuple[Rung, ...]
    audio: AudioRung = AudioRung()


def _rung(height: int, kbps: int) -> Rung:
    # Capped VBR: peaks may reach 1.5x the average, smoothed over a 2x-average buffer.
    return Rung(f"v{height}p", height, kbps, kbps * 3 // 2, kbps * 2)


def codec_rung(rung: Rung, codec: VideoCodec) -> Rung:
    """`rung` for `codec`: its own name (H.264 keeps the plain one) and a scaled budget."""
    if codec is VideoCodec.H264:
        return replace(rung, codec=codec)
    factor = BUDGET_FACTOR[codec]
    return replace(
        rung,
        name=f"{rung.name}-{codec.value}",
        bitrate_kbps=round(rung.bitrate_kbps * factor),
        maxrate_kbps=round(rung.maxrate_kbps * factor),
        bufsize_kbit=round(rung.bufsize_kbit * factor),
        codec=codec,
    )


def with_codecs(ladder: Ladder, codecs: Sequence[VideoCodec]) -> Ladder:
    """The ladder's H.264 rungs repeated for each of `codecs` (in that order; H.264 is always
    kept: it is what every player can fall back to)."""
    base = [r for r in ladder.video if r.codec is VideoCodec.H264]
    wanted = [VideoCodec.H264, *(c for c in dict.fromkeys(codecs) if c is not VideoCodec.H264)]
    return replace(ladder, video=tuple(codec_rung(r, c) for c in wanted for r in base))


# In the spirit of Apple's HLS authoring ladder for H.264 (16:9, 30 fps).
DEFAULT_LADDER = Ladder(
    video=(
        _rung(240, 400),
        _rung(360, 800),
        _rung(480, 1_400),
        _rung(720, 2_800),
        _rung(1080, 5_000),
        _rung(2160, 14_000),
    )
)


@dataclass(frozen=True, slots=True)
class VideoRendition:
    """A rung resolved for one source: concrete size, frame rate, level, CODECS string."""

    rung: Rung
    width: int
    height: int
    fps: Fraction
    level: str

    @property
    def name(self) -> str:
        return self.rung.name

    @property
    def codec(self) -> VideoCodec:
        return self.rung.codec

    @property
    def codecs(self) -> str:
        """RFC 6381 codec string, e.g. `avc1.64001f` for High@3.1 (H.264 only: the AV1 and VP9
        strings are read from the encoded stream's configuration record, `fmp4.TrackInit`)."""
        if self.rung.codec is not VideoCodec.H264:
            raise ValueError(f"{self.name}: the {self.rung.codec} string comes from its stream")
        profile = self.rung.profile
        level_idc = round(float(self.level) * 10)
        return f"avc1.{_PROFILE_IDC[profile]:02x}{_CONSTRAINTS[profile]:02x}{level_idc:02x}"

    @property
    def gop_frames(self) -> int:
        """Frames per 4 s segment, rounded up (the keyframe interval)."""
        exact = self.fps * 4
        return -(-exact.numerator // exact.denominator)


@dataclass(frozen=True, slots=True)
class ResolvedLadder:
    video: tuple[VideoRendition, ...]
    audio: AudioRung

    @property
    def top(self) -> VideoRendition:
        """The largest rendition (the VMAF reference size)."""
        return max(self.video, key=lambda r: r.width * r.height)


def resolve_ladder(ladder: Ladder, norm: Normalization) -> ResolvedLadder:
    """Keep the rungs the source can fill and size them; never upscale.

    A source smaller than the lowest rung still gets one rendition, at its own (even) size.
    """
    short_side = min(norm.width, norm.height)
    codecs = list(dict.fromkeys(r.codec for r in ladder.video))
    rungs: list[Rung] = []
    for codec in codecs:  # each codec's rungs together, lowest first
        own = [r for r in ladder.video if r.codec is codec]
        fitting = sorted((r for r in own if r.height <= short_side), key=lambda r: r.height)
        if not fitting:
            lowest = min(own, key=lambda r: r.height)
            fitting = [replace(lowest, height=_even_floor(short_side))]
        rungs += fitting
    return ResolvedLadder(video=tuple(_resolve(r, norm) for r in rungs), audio=ladder.audio)


def _resolve(rung: Rung, norm: Normalization) -> VideoRendition:
    landscape = norm.width >= norm.height
    long_side = _even_round(
        rung.height * max(norm.width, norm.height) / min(norm.width, norm.height)
    )
    width, height = (long_side, rung.height) if landscape else (rung.height, long_side)
    return VideoRendition(
        rung=rung,
        width=width,
        height=height,
        fps=norm.fps,
        level=h264_level(width, height, norm.fps, rung.maxrate_kbps),
    )


def h264_level(width: int, height: int, fps: Fraction, maxrate_kbps: int) -> str:
    """The lowest H.264 level that allows this frame size, rate and peak bitrate."""
    frame_mbs = -(-width // 16) * -(-height // 16)
    mbs_per_s = frame_mbs * float(fps)
    for level, max_mbps, max_frame, max_kbps in _LEVELS:
        if frame_mbs <= max_frame and mbs_per_s <= max_mbps and maxrate_kbps <= max_kbps:
            return level
    return _LEVELS[-1][0]


def _even_round(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _even_floor(value: int) -> int:
    return max(2, value // 2 * 2)
