"""Per-title ladders: the rungs this title's content needs, chosen on its convex hull.

Samples of the title (three 1.6 s windows spread over it, media.samples) are encoded at every
candidate height (the fixed ladder's, up to the display size) and a few CRFs, with the ladder's
own x264 preset so the rates carry over to the real encode; each encode is scored with VMAF at
the display size. Over all heights, the upper convex hull of VMAF against rate is the best
quality reachable at each rate, and the height of the hull at a rate is where to switch.

Rungs are picked along the hull (`choose_rungs`):
- the top rung stops where the content stops gaining: at VMAF `top_vmaf` (95, "indistinguishable
  from the source" for most viewers), or where another doubling of the rate buys less than
  `flat_gain` VMAF, and never above the fixed ladder's top rate for the source;
- the bottom rung is where the hull reaches `floor_vmaf`, but no dearer than the fixed ladder's
  bottom rung, so a slow connection is served at least as well as before;
- each step up gains `step_vmaf` (6, about a just-noticeable difference), and is at least
  `min_ratio` and at most `max_ratio` times the rate below it, so a player has steps to adapt
  on and never a switch nobody can see.
A static slide reaches VMAF 95 at a few tens of kbit/s: one or two low rungs. Grain never does:
the rungs climb to the fixed ladder's top rate, at the heights the hull prefers.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vodstack.pipeline.media.analysis import sample_windows
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.ladder import (
    DEFAULT_LADDER,
    Ladder,
    ResolvedLadder,
    Rung,
    resolve_ladder,
)
from vodstack.pipeline.media.normalize import Normalization
from vodstack.pipeline.media.probe import SourceInfo
from vodstack.pipeline.media.rate_quality import (
    RatePoint,
    best_height,
    convex_hull,
    rate_for,
    vmaf_at,
)
from vodstack.pipeline.media.samples import SampleEncode, Scored, Window, measure_window

# Below this a capped-VBR rung starves: its 2x-rate buffer cannot hold a keyframe, and x264
# smears the picture (a slide at 20 kbit/s scored VMAF 50, at 11 kbit/s under a 400k cap 89).
MIN_RUNG_KBPS = 100


@dataclass(frozen=True, slots=True)
class PerTitleSettings:
    """How much to sample and how to pick rungs (module docstring)."""

    windows: int = 3
    window_s: float = 1.6
    crfs: tuple[int, ...] = (24, 33)
    preset: str = "veryfast"  # the ladder's: rates measured here carry over to its encode
    display_height: int = 1080
    vmaf_subsample: int = 10
    top_vmaf: float = 95.0
    flat_gain: float = 2.0  # VMAF per doubling of the rate below which a higher rung is waste
    floor_vmaf: float = 40.0
    step_vmaf: float = 6.0
    min_ratio: float = 1.5
    max_ratio: float = 2.0
    max_rungs: int = 7
    sample_cap: float = 1.5  # sample encodes' maxrate, x the fixed ladder's ceiling


@dataclass(frozen=True, slots=True)
class PerTitleLadder:
    """The analysis' result: the ladder, and the measurements it was chosen from."""

    ladder: Ladder
    points: tuple[RatePoint, ...]
    hull: tuple[RatePoint, ...]
    display: tuple[int, int]
    sampled_s: float
    targets: tuple[float, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the job's analysis record and the LADDER task's output."""
        return {
            "rungs": [
                {"name": r.name, "height": r.height, "kbps": r.bitrate_kbps}
                for r in self.ladder.video
            ],
            "points": [asdict(p) for p in self.points],
            "hull": [asdict(p) for p in self.hull],
            "display": list(self.display),
            "sampled_s": self.sampled_s,
        }


def ladder_from_dict(data: dict[str, Any], audio_from: Ladder = DEFAULT_LADDER) -> Ladder:
    """The ladder a `PerTitleLadder.to_dict` recorded."""
    video = tuple(_rung(str(r["name"]), int(r["height"]), int(r["kbps"])) for r in data["rungs"])
    return Ladder(video=video, audio=audio_from.audio)


def _rung(name: str, height: int, kbps: int) -> Rung:
    # The fixed ladder's capped VBR: peaks up to 1.5x the average over a 2x-average buffer.
    return Rung(name, height, kbps, kbps * 3 // 2, kbps * 2)


def candidate_heights(fixed: Ladder, norm: Normalization, display_height: int) -> list[int]:
    """The fixed ladder's heights the source can fill, up to the display size."""
    short = min(norm.width, norm.height)
    heights = sorted({r.height for r in fixed.video if r.height <= min(short, display_height)})
    return heights or [max(2, min(short, display_height) // 2 * 2)]


def display_size(norm: Normalization, display_height: int) -> tuple[int, int]:
    """The size VMAF is read at: the source's, capped at `display_height` (short side)."""
    height = max(2, min(min(norm.width, norm.height), display_height) // 2 * 2)
    (top,) = resolve_ladder(Ladder(video=(_rung("display", height, 1),)), norm).video
    return top.width, top.height


def analyze_per_title(
    source: Path,
    info: SourceInfo,
    norm: Normalization,
    *,
    fixed: Ladder = DEFAULT_LADDER,
    settings: PerTitleSettings = PerTitleSettings(),
    control: RunControl = DEFAULT_CONTROL,
) -> PerTitleLadder:
    """Sample, measure, build the hull and choose this title's ladder."""
    points, display, seconds = sample_points(source, info, norm, fixed, settings, control)
    targets = choose_targets(points, fixed, settings)
    ladder = ladder_for(points, targets, fixed)
    return PerTitleLadder(
        ladder=ladder,
        points=tuple(points),
        hull=tuple(convex_hull(points)),
        display=display,
        sampled_s=round(seconds, 3),
        targets=tuple(targets),
    )


def sample_points(
    source: Path,
    info: SourceInfo,
    norm: Normalization,
    fixed: Ladder,
    settings: PerTitleSettings,
    control: RunControl = DEFAULT_CONTROL,
) -> tuple[list[RatePoint], tuple[int, int], float]:
    """(rate, VMAF) of every candidate height x CRF over the sampled windows."""
    heights = candidate_heights(fixed, norm, settings.display_height)
    sized = resolve_ladder(Ladder(video=tuple(_rung(f"h{h}", h, 1) for h in heights)), norm)
    encodes = sample_encodes(sized, settings, _ceiling(fixed, max(heights)))
    display = display_size(norm, settings.display_height)
    starts, span = sample_windows(info, norm, windows=settings.windows, window_s=settings.window_s)
    scored: list[Scored] = []
    with tempfile.TemporaryDirectory(prefix="per-title-") as scratch:
        for first in starts:
            out = Path(scratch) / str(first)
            out.mkdir()
            scored += measure_window(
                source,
                norm,
                Window(first, span),
                encodes,
                display,
                out,
                subsample=settings.vmaf_subsample,
                control=control,
            )
    gop = sized.video[0].gop_frames
    points = [
        _pooled(encode, [s for s in scored if s.name == encode.name], gop) for encode in encodes
    ]
    return points, display, len(starts) * span / float(norm.fps)


def sample_encodes(
    sized: ResolvedLadder, settings: PerTitleSettings, ceiling_kbps: int
) -> list[SampleEncode]:
    """Every candidate height at every CRF, in the ladder's GOP structure (one key frame, no
    scene cuts: media.annexb spreads it over the real GOP) and under a rate cap.

    The cap (`sample_cap` x the ladder's ceiling) keeps noisy content from costing the analysis
    more than the ladder encode: grain at CRF 24 took 69 s of CPU, at rates no rung may have.
    Points above the ceiling only shape the hull at the top rung, which a capped point does too.
    """
    cap = round(ceiling_kbps * settings.sample_cap)
    encodes = []
    for r in sized.video:
        gop = str(r.gop_frames)
        for crf in settings.crfs:
            args = ["-c:v", "libx264", "-preset", settings.preset, "-crf", str(crf)]
            args += ["-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-flags", "+cgop"]
            args += ["-maxrate", f"{cap}k", "-bufsize", f"{cap}k"]  # 1 s: a short window
            encodes.append(SampleEncode(f"{r.height}_{crf}", r.width, r.height, tuple(args)))
    return encodes


def _ceiling(fixed: Ladder, tallest: int) -> int:
    """The fixed ladder's top rate for the heights sampled: no rung is chosen above it."""
    fitting = [r.bitrate_kbps for r in fixed.video if r.height <= tallest]
    return max(fitting or [min(r.bitrate_kbps for r in fixed.video)])


def _pooled(encode: SampleEncode, scores: Sequence[Scored], gop_frames: int) -> RatePoint:
    seconds = sum(s.seconds for s in scores)
    return RatePoint(
        kbps=round(sum(s.gop_bits(gop_frames) for s in scores) / seconds / 1000, 2),
        vmaf=round(sum(s.vmaf * s.seconds for s in scores) / seconds, 2),
        height=encode.height,
        setting=f"crf {encode.name.split('_')[1]}",
    )


def choose_targets(
    points: Sequence[RatePoint], fixed: Ladder, settings: PerTitleSettings
) -> list[float]:
    """The rungs' rates along the hull, low to high (module docstring)."""
    hull = convex_hull(points)
    ceiling = _ceiling(fixed, max(p.height for p in points))
    bottom_cap = min(r.bitrate_kbps for r in fixed.video)
    bottom = min(max(rate_for(hull, settings.floor_vmaf), hull[0].kbps), bottom_cap)
    bottom = max(bottom, MIN_RUNG_KBPS)  # the steps start from the rate the rung will have
    top = max(min(_top_rate(hull, settings), ceiling), bottom)
    targets = [bottom]
    while targets[-1] < top and len(targets) < settings.max_rungs:
        here = targets[-1]
        # Below the cheapest sample the hull knows nothing (it reads flat): keep climbing.
        measured = here >= hull[0].kbps
        if measured and vmaf_at(hull, top) - vmaf_at(hull, here) < settings.step_vmaf / 2:
            break  # what is left above is not worth a rung: the content needs no more
        wanted = rate_for(hull, vmaf_at(hull, here) + settings.step_vmaf)
        step = min(max(wanted, here * settings.min_ratio), here * settings.max_ratio, top)
        if top / step < math.sqrt(settings.min_ratio):
            step = top  # a step short of the top would be a switch nobody sees
        targets.append(step)
    return targets


def _top_rate(hull: Sequence[RatePoint], settings: PerTitleSettings) -> float:
    """Where quality stops paying: VMAF `top_vmaf`, or the hull's slope falling flat."""
    if hull[-1].vmaf >= settings.top_vmaf:
        return rate_for(hull, settings.top_vmaf)
    for low, high in itertools.pairwise(hull):
        per_doubling = (high.vmaf - low.vmaf) / math.log2(high.kbps / low.kbps)
        if per_doubling < settings.flat_gain:
            return low.kbps
    return hull[-1].kbps


def ladder_for(points: Sequence[RatePoint], targets: Sequence[float], fixed: Ladder) -> Ladder:
    """Rungs at `targets`, each at the height the hull prefers (never lower than the rung below)."""
    rungs: list[Rung] = []
    names: set[str] = set()
    height = 0
    for target in targets:
        kbps = _round_rate(target)
        if rungs and kbps <= rungs[-1].bitrate_kbps:
            continue  # raised to the minimum rate, two targets became one rung
        # The height for the rate the rung will really have (a raised rate affords more).
        height = max(height, best_height(points, kbps))
        name = f"v{height}p" if f"v{height}p" not in names else f"v{height}p{kbps}k"
        names.add(name)
        rungs.append(_rung(name, height, kbps))
    return Ladder(video=tuple(rungs), audio=fixed.audio)


def _round_rate(kbps: float) -> int:
    """Two significant figures or so (412 -> 410, 2_468 -> 2_450), at least `MIN_RUNG_KBPS`."""
    step = 50 if kbps >= 1_000 else 10
    return max(MIN_RUNG_KBPS, round(kbps / step) * step)
