"""Two ladders side by side: each rung encoded for real on samples of the title, scored, and
the per-title ladder's BD-rate against the fixed one.

What `vodstack ladder compare` and bench/ladder.py print. The rungs are encoded exactly as the
pipeline encodes them (media.encode.x264_args: capped VBR at the rung's rate, the ladder's
preset and GOP) on windows of the title, so the points are the bits and the quality a viewer
would get, not the analysis' CRF estimates. The windows are not the analysis' own: the
comparison takes one more than the analysis, so most of its frames were never used to choose
the rungs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vodstack.pipeline.media.analysis import sample_windows
from vodstack.pipeline.media.bdrate import BdRate, bd_rate
from vodstack.pipeline.media.encode import EncoderSettings, x264_args
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.ladder import Ladder, ResolvedLadder, VideoRendition, resolve_ladder
from vodstack.pipeline.media.normalize import Normalization
from vodstack.pipeline.media.per_title import PerTitleLadder, display_size
from vodstack.pipeline.media.probe import SourceInfo
from vodstack.pipeline.media.rate_quality import RatePoint
from vodstack.pipeline.media.samples import SampleEncode, Scored, Window, measure_window


@dataclass(frozen=True, slots=True)
class LadderCurve:
    """A resolved ladder and what each of its rungs measured on the samples."""

    label: str
    ladder: ResolvedLadder
    points: tuple[RatePoint, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "rungs": [
                {
                    "name": r.name,
                    "width": r.width,
                    "height": r.height,
                    "target_kbps": r.rung.bitrate_kbps,
                    "kbps": p.kbps,
                    "vmaf": p.vmaf,
                }
                for r, p in zip(self.ladder.video, self.points, strict=True)
            ],
        }


@dataclass(frozen=True, slots=True)
class Comparison:
    fixed: LadderCurve
    per_title: LadderCurve
    bd: BdRate
    analysis: PerTitleLadder
    display: tuple[int, int]
    sampled_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "fixed": self.fixed.to_dict(),
            "per_title": self.per_title.to_dict(),
            "bd_rate_percent": self.bd.percent,
            "bd_rate_vmaf_range": [self.bd.vmaf_low, self.bd.vmaf_high],
            "bd_rate_note": self.bd.reason,
            "hull": [asdict(p) for p in self.analysis.hull],
            "display": list(self.display),
            "sampled_s": self.sampled_s,
        }


def measure_ladders(
    source: Path,
    info: SourceInfo,
    norm: Normalization,
    ladders: Sequence[tuple[str, Ladder]],
    *,
    windows: int = 4,
    window_s: float = 2.0,
    display_height: int = 1080,
    encoder: EncoderSettings = EncoderSettings(),
    control: RunControl = DEFAULT_CONTROL,
) -> list[LadderCurve]:
    """Every rung of every ladder encoded on the same windows and scored at the display size."""
    resolved = [(label, resolve_ladder(ladder, norm)) for label, ladder in ladders]
    encodes = [
        SampleEncode(f"{i}_{r.name}", r.width, r.height, tuple(x264_args(r, encoder)))
        for i, (_, ladder) in enumerate(resolved)
        for r in ladder.video
    ]
    display = display_size(norm, display_height)
    starts, span = sample_windows(info, norm, windows=windows, window_s=window_s)
    scored: list[Scored] = []
    with tempfile.TemporaryDirectory(prefix="ladder-compare-") as scratch:
        for first in starts:
            out = Path(scratch) / str(first)
            out.mkdir()
            scored += measure_window(
                source, norm, Window(first, span), encodes, display, out, control=control
            )
    curves = []
    for i, (label, ladder) in enumerate(resolved):
        points = tuple(
            _point(r, [s for s in scored if s.name == f"{i}_{r.name}"]) for r in ladder.video
        )
        curves.append(LadderCurve(label, ladder, points))
    return curves


def compare(
    source: Path,
    info: SourceInfo,
    norm: Normalization,
    fixed: Ladder,
    analysis: PerTitleLadder,
    *,
    windows: int = 4,
    control: RunControl = DEFAULT_CONTROL,
) -> Comparison:
    """Both ladders measured on the same samples, and the per-title BD-rate against fixed."""
    curves = measure_ladders(
        source,
        info,
        norm,
        [("fixed", fixed), ("per-title", analysis.ladder)],
        windows=windows,
        display_height=min(analysis.display),
        control=control,
    )
    fixed_curve, per_title_curve = curves
    starts, span = sample_windows(info, norm, windows=windows, window_s=2.0)
    return Comparison(
        fixed=fixed_curve,
        per_title=per_title_curve,
        bd=bd_rate(fixed_curve.points, per_title_curve.points),
        analysis=analysis,
        display=analysis.display,
        sampled_s=round(len(starts) * span / float(norm.fps), 3),
    )


def _point(rendition: VideoRendition, scores: Sequence[Scored]) -> RatePoint:
    # A window's key frame recurs once a GOP in the real encode, not once a window (samples).
    seconds = sum(s.seconds for s in scores)
    return RatePoint(
        kbps=round(sum(s.gop_bits(rendition.gop_frames) for s in scores) / seconds / 1000, 2),
        vmaf=round(sum(s.vmaf * s.seconds for s in scores) / seconds, 2),
        height=rendition.height,
        setting=rendition.name,
    )
