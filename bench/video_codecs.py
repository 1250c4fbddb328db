"""AV1 (SVT-AV1) and VP9 (libvpx) against H.264 (x264): bits at equal VMAF, and encode CPU.

(Not `bench/codecs.py`: a module named `codecs` shadows the standard library one for mypy and
for anything importing `codecs` with bench/ on the path.)

For each synthetic source (the demo's patterns, easiest to hardest to compress) every codec
encodes the whole clip at several bit rates with exactly the pipeline's encoder arguments
(`media.encode.video_codec_args`: capped VBR, 4 s closed GOPs, keyframes forced at segment
starts) at the source's size; VMAF (vmaf_v0.6.1) of each encode against the source gives a
rate-quality curve per codec. The Bjontegaard delta rate (BD-rate: the average bit-rate
difference at equal VMAF over the VMAF range both curves cover, log-rate interpolated) says
how many fewer bits a codec needs than H.264; the encoder's CPU seconds (user + system of the
ffmpeg, RUSAGE_CHILDREN: neighbours on a loaded machine do not change it) what it costs. The
decode of the source is in every encode's CPU alike; the anchor is H.264 in the same run.

    nice .venv/bin/python bench/video_codecs.py                 # short: 3 sources x 8 s, 640x360
    nice .venv/bin/python bench/video_codecs.py --full          # issue 20: 6 sources x 60 s, 720p
    nice .venv/bin/python bench/video_codecs.py --codecs av1    # AV1 vs H.264 only

Prints a row per source and codec (BD-rate vs H.264, CPU s, CPU ratio to H.264), the averages,
and the load average (ratios are what to compare across machines).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from vodstack.pipeline.media import (
    EncoderSettings,
    Pattern,
    Rung,
    VideoCodec,
    VideoRendition,
    ffmpeg_exe,
    make_synthetic,
    plan_normalization,
    probe,
)
from vodstack.pipeline.media.encode import Chunk, keyframe_times, total_frames, video_codec_args
from vodstack.pipeline.media.ladder import BUDGET_FACTOR, h264_level
from vodstack.pipeline.media.normalize import Normalization, output_filters, picture_filters

SHORT_PATTERNS = (Pattern.TESTSRC2, Pattern.MOVING_TEXT, Pattern.GRAIN)
# H.264 rates at 720p (kbit/s), scaled by pixel count for other sizes; the other codecs get the
# same points times their ladder factor, so the curves overlap in VMAF.
RATES_720P = (600, 1200, 2400, 4800)


@dataclass(frozen=True)
class Point:
    kbps: float
    vmaf: float
    cpu_s: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ffmpeg(args: list[str]) -> str:
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=7200,
    )
    return done.stderr


def _rendition(codec: VideoCodec, kbps: int, norm: Normalization) -> VideoRendition:
    height = min(norm.width, norm.height)
    rung = Rung(f"v{height}p", height, kbps, kbps * 3 // 2, kbps * 2, codec=codec)
    level = h264_level(norm.width, norm.height, norm.fps, rung.maxrate_kbps)
    return VideoRendition(rung, norm.width, norm.height, norm.fps, level)


def _encode(
    source: Path, norm: Normalization, frames: int, rendition: VideoRendition, out: Path
) -> float:
    """Encode the whole source as the pipeline encodes a rendition; the CPU seconds it took."""
    whole = Chunk(0, 0, frames, 0.0, float(Fraction(frames) / norm.fps))
    force = ",".join(f"{t:.6f}" for t in keyframe_times(whole, norm))
    filters = [*picture_filters(norm), *output_filters(rendition.width, rendition.height)]
    settings = EncoderSettings()
    before = _children_cpu()
    _ffmpeg(
        [
            *("-i", str(source), "-map", "0:v:0", "-an", "-vf", ",".join(filters)),
            *video_codec_args(rendition, settings),
            *("-force_key_frames", force, "-f", "mp4", str(out)),
        ]
    )
    return _children_cpu() - before


def _vmaf(distorted: Path, source: Path, norm: Normalization, log: Path) -> float:
    reference = ",".join(picture_filters(norm))
    graph = (
        f"[0:v]setpts=PTS-STARTPTS,format=yuv420p[d];[1:v]{reference},setpts=PTS-STARTPTS,"
        f"format=yuv420p[r];[d][r]libvmaf=model=version=vmaf_v0.6.1:n_threads=2"
        f":log_fmt=json:log_path={log}"
    )
    _ffmpeg(["-i", str(distorted), "-i", str(source), "-filter_complex", graph, "-f", "null", "-"])
    return float(json.loads(log.read_text())["pooled_metrics"]["vmaf"]["mean"])


def _monotone(points: list[Point]) -> list[Point]:
    """The points on the rising rate-quality curve: by rate, each better than the last (a rate
    control that missed its target, or saturated VMAF, does not bend the curve back)."""
    kept: list[Point] = []
    for point in sorted(points, key=lambda p: p.kbps):
        if not kept or point.vmaf > kept[-1].vmaf:
            kept.append(point)
    return kept


def bd_rate(anchor: list[Point], test: list[Point]) -> float:
    """Bjontegaard delta rate of `test` against `anchor` in %: negative = fewer bits at equal
    VMAF. log(rate) as a function of VMAF, interpolated piecewise linearly between measured
    points (robust where a cubic fit of four points swings), averaged over the VMAF range both
    curves cover; NaN when they do not overlap."""
    anchor, test = _monotone(anchor), _monotone(test)
    if len(anchor) < 2 or len(test) < 2:
        return math.nan
    low = max(anchor[0].vmaf, test[0].vmaf)
    high = min(anchor[-1].vmaf, test[-1].vmaf)
    if high - low < 0.5:
        return math.nan
    grid = np.linspace(low, high, 200)
    means = []
    for points in (anchor, test):
        log_rate = np.interp(grid, [p.vmaf for p in points], [math.log(p.kbps) for p in points])
        means.append(float(np.mean(log_rate)))
    return (math.exp(means[1] - means[0]) - 1) * 100


def measure(source: Path, codecs: list[VideoCodec], work: Path) -> dict[VideoCodec, list[Point]]:
    info = probe(source)
    norm = plan_normalization(info)
    frames = total_frames(info, norm)
    scale = norm.width * norm.height / (1280 * 720)
    curves: dict[VideoCodec, list[Point]] = {}
    for codec in codecs:
        points = []
        for base in RATES_720P:
            kbps = max(50, round(base * scale * BUDGET_FACTOR[codec]))
            rendition = _rendition(codec, kbps, norm)
            out = work / f"{source.stem}-{codec.value}-{kbps}.mp4"
            cpu = _encode(source, norm, frames, rendition, out)
            actual = out.stat().st_size * 8 / 1000 / info.duration_s
            vmaf = _vmaf(out, source, norm, work / f"{out.stem}.json")
            points.append(Point(actual, vmaf, cpu))
            out.unlink()
        curves[codec] = points
    return curves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--full", action="store_true", help="6 sources x 60 s at 1280x720")
    parser.add_argument("--seconds", type=float, help="clip length (default 8, --full 60)")
    parser.add_argument("--codecs", default="av1,vp9", help="compared with H.264 (av1,vp9)")
    args = parser.parse_args()
    full = bool(args.full)
    seconds = args.seconds or (60.0 if full else 8.0)
    width, height = (1280, 720) if full else (640, 360)
    patterns = tuple(Pattern) if full else SHORT_PATTERNS
    others = [VideoCodec(c) for c in args.codecs.split(",") if c and c != "h264"]
    codecs = [VideoCodec.H264, *others]
    print(f"codecs vs H.264: {len(patterns)} sources x {seconds:g} s at {width}x{height}")
    totals: dict[VideoCodec, list[float]] = {c: [] for c in others}
    cpu_ratio: dict[VideoCodec, list[float]] = {c: [] for c in others}
    with tempfile.TemporaryDirectory(prefix="bench-codecs-") as tmp:
        work = Path(tmp)
        for pattern in patterns:
            source = make_synthetic(
                work / f"{pattern.value}.mp4",
                pattern,
                duration_s=seconds,
                width=width,
                height=height,
                crf=16,
                preset="veryfast",
            )
            curves = measure(source, codecs, work)
            anchor = curves[VideoCodec.H264]
            anchor_cpu = sum(p.cpu_s for p in anchor)
            pts = " ".join(f"{p.kbps:.0f}k/{p.vmaf:.1f}" for p in anchor)
            print(f"  {pattern.value:12s} h264  cpu {anchor_cpu:7.1f} s   points {pts}")
            for codec in others:
                rate = bd_rate(anchor, curves[codec])
                cpu = sum(p.cpu_s for p in curves[codec])
                totals[codec].append(rate)
                cpu_ratio[codec].append(cpu / anchor_cpu)
                pts = " ".join(f"{p.kbps:.0f}k/{p.vmaf:.1f}" for p in curves[codec])
                print(
                    f"  {pattern.value:12s} {codec.value:5s} cpu {cpu:7.1f} s "
                    f"({cpu / anchor_cpu:.2f}x h264)  BD-rate {rate:+.1f} %   points {pts}"
                )
            source.unlink()
    for codec in others:
        rates = [r for r in totals[codec] if not math.isnan(r)]
        mean_rate = sum(rates) / len(rates) if rates else math.nan
        mean_cpu = sum(cpu_ratio[codec]) / len(cpu_ratio[codec])
        print(
            f"{codec.value} vs h264: BD-rate {mean_rate:+.1f} % at equal VMAF "
            f"(mean of {len(rates)} sources), encode CPU {mean_cpu:.2f}x"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
