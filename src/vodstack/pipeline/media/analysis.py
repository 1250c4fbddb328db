"""Analysis stored with the job: the validated `SourceInfo`, its normalization, and a cheap
complexity estimate.

Complexity is the bit rate x264 needs at a fixed CRF on a small proxy (320 px wide, `ultrafast`)
over a few short windows spread across the title: static slides land near 20 kbit/s, film
grain in the thousands. It costs a fraction of a second per window, whatever the source size,
and is what a per-title ladder would scale its bitrates by.

The pipeline plans a job from the probe alone (`describe_source`) and estimates the complexity
in a task of its own, off the critical path (jobs.dag). Each window still starts just after a
keyframe of the source: a window placed anywhere else first decodes from the previous keyframe
(up to 10 s of 1080p with x264's default GOP), which made the estimate cost 4.4 s of CPU on a
12 s 1080p master instead of about 1 s.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vodstack.pipeline.media.encode import SEEK_MARGIN_S, grid_window, total_frames
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.normalize import Normalization, plan_normalization
from vodstack.pipeline.media.probe import SourceInfo

PROXY_WIDTH = 320
PROXY_CRF = 28


@dataclass(frozen=True, slots=True)
class Complexity:
    """Bits a fixed-quality proxy encode needed: higher means harder to compress."""

    proxy_kbps: float
    bits_per_pixel: float
    sampled_s: float
    proxy_width: int
    proxy_height: int
    crf: int = PROXY_CRF


@dataclass(frozen=True, slots=True)
class Analysis:
    source: SourceInfo
    normalization: Normalization
    complexity: Complexity

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the job record."""
        return {
            **describe_source(self.source, self.normalization),
            "complexity": asdict(self.complexity),
        }


def describe_source(info: SourceInfo, norm: Normalization) -> dict[str, Any]:
    """The probe's half of the analysis, JSON-ready: the source and its normalization."""
    return {
        "source": info.to_dict(),
        "normalization": {
            "fps": str(norm.fps),
            "deinterlace": norm.deinterlace,
            "to_8bit_420": norm.to_8bit_420,
            "width": norm.width,
            "height": norm.height,
        },
    }


def analyze(
    source: Path,
    info: SourceInfo,
    *,
    windows: int = 4,
    window_s: float = 2.0,
    control: RunControl = DEFAULT_CONTROL,
) -> Analysis:
    """Normalization plan plus complexity estimate for a probed source."""
    norm = plan_normalization(info)
    return Analysis(
        info,
        norm,
        estimate_complexity(
            source, info, norm, windows=windows, window_s=window_s, control=control
        ),
    )


def estimate_complexity(
    source: Path,
    info: SourceInfo,
    norm: Normalization,
    *,
    windows: int = 4,
    window_s: float = 2.0,
    control: RunControl = DEFAULT_CONTROL,
) -> Complexity:
    """Encode `windows` windows of `window_s` at CRF 28 on a 320 px proxy and measure the bits."""
    width = min(PROXY_WIDTH, norm.width // 2 * 2)
    height = max(2, round(width * norm.height / norm.width / 2) * 2)
    starts, span = sample_windows(info, norm, windows=windows, window_s=window_s)
    total_bits = 0
    with tempfile.TemporaryDirectory(prefix="analysis-") as scratch:
        for i, first in enumerate(starts):
            out = Path(scratch) / f"proxy_{i}.h264"
            inputs, window = grid_window(source, norm, first, first + span)
            filters = [*window, f"scale={width}:{height}", "format=yuv420p"]
            args = [*inputs, "-map", "0:v:0", "-an", "-vf", ",".join(filters)]
            args += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", str(PROXY_CRF)]
            control.run([*args, "-threads", "1", "-f", "h264", str(out)])
            total_bits += out.stat().st_size * 8
    seconds = len(starts) * span / float(norm.fps)
    return Complexity(
        proxy_kbps=round(total_bits / seconds / 1000, 1),
        bits_per_pixel=round(total_bits / (len(starts) * span * width * height), 4),
        sampled_s=round(seconds, 3),
        proxy_width=width,
        proxy_height=height,
    )


def sample_windows(
    info: SourceInfo, norm: Normalization, *, windows: int, window_s: float
) -> tuple[list[int], int]:
    """First grid frames of up to `windows` windows spread over the title, each just after a
    source keyframe, and their length in frames (per-title analysis samples the same way)."""
    frames = total_frames(info, norm)
    span = max(1, min(frames, round(window_s * norm.fps)))
    starts = _keyframe_aligned(_window_starts(frames, span, windows), info, norm, frames - span)
    return starts, span


def _window_starts(frames: int, span: int, windows: int) -> list[int]:
    last_start = max(0, frames - span)
    if windows <= 1 or last_start == 0:
        return [0]
    return sorted({round(i * last_start / (windows - 1)) for i in range(windows)})


def _keyframe_aligned(
    starts: list[int], info: SourceInfo, norm: Normalization, last_start: int
) -> list[int]:
    """Move each window start so its decode (from `SEEK_MARGIN_S` before it) begins on a
    source keyframe: just after the keyframe at or before the wanted start. A window that
    cannot be aligned (too near the end) is dropped; sparse keyframes mean fewer windows."""
    margin = round(SEEK_MARGIN_S * float(norm.fps)) + 1  # +1: decimal seek times round
    aligned = {0} if 0 in starts else set()
    # The first window needs no moving (its decode starts at the title's first frame); moving
    # it too added a fourth window overlapping the first, a third more analysis for no news.
    for start in (s for s in starts if s > 0):
        before = [k for k in info.keyframe_times if k <= norm.time_of(start)]
        candidate = norm.frame_at(before[-1]) + margin if before else start
        if 0 < candidate <= last_start:
            aligned.add(candidate)
    return sorted(aligned) or [0]
