"""How a source is normalized before encoding, and the ffmpeg filters that do it.

Supported and handled: variable frame rate (resampled to a constant rate), odd or non-square
pixel dimensions (scaled to even, square-pixel sizes), rotation metadata (ffmpeg's autorotate
applies the display matrix before our filters, so every size here is the display size),
interlaced sources (deinterlaced with `bwdif`, one frame per frame) and 10/12-bit or 4:2:2/4:4:4
sources (converted to 8-bit 4:2:0, which every H.264 player decodes).
Not handled: HDR tone mapping (PQ/HLG sources are converted as if SDR), stereo 3D, alpha.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from vodstack.pipeline.media.probe import SourceInfo

# Rates a player expects; a measured rate within 1 % of one of these snaps to it.
STANDARD_RATES: tuple[Fraction, ...] = (
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
)
MAX_FPS = Fraction(60)


@dataclass(frozen=True, slots=True)
class Normalization:
    """The constant-rate, progressive, 8-bit 4:2:0 picture every rendition is made from."""

    fps: Fraction
    deinterlace: bool
    to_8bit_420: bool
    width: int  # display size (rotation and sample aspect ratio applied)
    height: int

    @property
    def frames_per_second(self) -> float:
        return float(self.fps)

    def frame_at(self, t_s: float) -> int:
        """Index of the first output frame presented at or after `t_s` (the frame grid)."""
        exact = Fraction(t_s).limit_denominator(1_000_000) * self.fps
        whole = exact.numerator // exact.denominator
        return whole if whole == exact else whole + 1

    def time_of(self, frame: int) -> float:
        """Presentation time of output frame `frame` on the grid."""
        return float(frame / self.fps)


def plan_normalization(info: SourceInfo, max_fps: Fraction = MAX_FPS) -> Normalization:
    """Decide the normalized picture for `info`."""
    return Normalization(
        fps=output_fps(info.fps, max_fps),
        deinterlace=info.interlaced,
        to_8bit_420=info.pix_fmt not in ("yuv420p", "yuvj420p"),
        width=info.display_width,
        height=info.display_height,
    )


def output_fps(measured: Fraction, max_fps: Fraction = MAX_FPS) -> Fraction:
    """A constant output rate: the nearest standard rate, else the rounded rate, capped.

    Nearest, not first within 1 %: 30 is within 1 % of 29.97 as well, and a 30 fps source
    resampled to 29.97 loses a frame every 33 s.
    """
    nearest = min(STANDARD_RATES, key=lambda rate: abs(measured - rate))
    if abs(measured - nearest) <= nearest / 100:
        return min(nearest, max_fps)
    whole = max(1, round(measured))
    return min(Fraction(whole), max_fps)


def picture_filters(norm: Normalization) -> list[str]:
    """Filters before trimming: deinterlace, then resample to the constant-rate frame grid.

    `fps` emits frames on the absolute grid n / fps of the (seek-shifted) input timeline, which
    is what makes chunk boundaries frame-exact. `start_time=0` starts that grid at 0 even when
    the video starts after the audio (its first frame repeated): without it the grid began at
    the first frame and the first chunk came out short by the video's delay.
    """
    filters = ["bwdif=mode=send_frame:parity=auto:deint=all"] if norm.deinterlace else []
    rate = f"{norm.fps.numerator}/{norm.fps.denominator}"
    filters.append(f"fps=fps={rate}:round=near:start_time=0")
    return filters


def output_filters(width: int, height: int, scaler: str = "bicubic") -> list[str]:
    """Filters after trimming: scale to the rendition size, square pixels, 8-bit 4:2:0."""
    return [
        f"scale={width}:{height}:flags={scaler}",
        "setsar=1",
        "format=yuv420p",
    ]
