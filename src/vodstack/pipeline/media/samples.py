"""Short samples of a title, encoded several ways and scored with VMAF at the display size.

Per-title analysis (media.per_title) and `vodstack ladder compare` (media.ladder_compare) both
measure encodes this way. A sample is a window of grid frames that starts just after a source
keyframe (media.analysis.sample_windows), so its decode starts where it is needed. Each window is
decoded once for all its encodes (one ffmpeg, `split` to every output) and once more for all
their VMAF scores (one ffmpeg, one `libvmaf` per encode against a split of the reference).

VMAF is read at the display size, as Netflix does: each encode is scaled back up (bicubic) to
the display size before the comparison, so a 360p encode is judged as a viewer on a 1080p
screen sees it, and encodes of every height sit on one quality scale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media.encode import grid_window
from vodstack.pipeline.media.errors import EncodeFailed
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.normalize import Normalization, output_filters
from vodstack.pipeline.media.quality import VMAF_MODEL


@dataclass(frozen=True, slots=True)
class Window:
    """Grid frames [first, first + frames) of the normalized source."""

    first: int
    frames: int

    def seconds(self, norm: Normalization) -> float:
        return self.frames / float(norm.fps)


@dataclass(frozen=True, slots=True)
class SampleEncode:
    """One encode of a window: picture size and the encoder arguments (after `-map`)."""

    name: str
    width: int
    height: int
    codec_args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Scored:
    """A measured encode of one window: bits it took and its VMAF at the display size."""

    name: str
    bits: int
    seconds: float
    vmaf: float


def encode_window(
    source: Path,
    norm: Normalization,
    window: Window,
    encodes: Sequence[SampleEncode],
    out_dir: Path,
    control: RunControl = DEFAULT_CONTROL,
) -> list[Path]:
    """Every encode of one window, from a single decode; raw H.264 streams (no container:
    the bits counted are the video's own)."""
    inputs, trim = grid_window(source, norm, window.first, window.first + window.frames)
    labels = [f"[s{i}]" for i in range(len(encodes))]
    graph = [f"[0:v:0]{','.join(trim)},split={len(encodes)}{''.join(labels)}"]
    args: list[str] = []
    paths = []
    for i, encode in enumerate(encodes):
        graph.append(f"{labels[i]}{','.join(output_filters(encode.width, encode.height))}[v{i}]")
        path = out_dir / f"{encode.name}.h264"
        args += ["-map", f"[v{i}]", "-an", "-sn", "-dn", *encode.codec_args]
        args += ["-f", "h264", str(path)]
        paths.append(path)
    control.run([*inputs, "-filter_complex", ";".join(graph), *args])
    return paths


def score_window(
    source: Path,
    norm: Normalization,
    window: Window,
    encoded: Sequence[Path],
    display: tuple[int, int],
    *,
    subsample: int = 1,
    control: RunControl = DEFAULT_CONTROL,
) -> list[float]:
    """Pooled mean VMAF of each encoded stream against the window, at the `display` size.

    `subsample` scores every n-th frame only: the analysis needs a curve, not a report.
    """
    inputs, trim = grid_window(source, norm, window.first, window.first + window.frames)
    rate = f"{norm.fps.numerator}/{norm.fps.denominator}"
    size = f"scale={display[0]}:{display[1]}:flags=bicubic,setsar=1,format=yuv420p"
    count = len(encoded)
    refs = "".join(f"[r{i}]" for i in range(count))
    graph = [f"[0:v:0]{','.join(trim)},{size},split={count}{refs}"]
    args = list(inputs)
    logs = [path.with_suffix(".vmaf.json") for path in encoded]
    for i, path in enumerate(encoded):
        args += ["-f", "h264", "-framerate", rate, "-i", str(path)]
        graph.append(f"[{i + 1}:v:0]setpts=PTS-STARTPTS,{size}[d{i}]")
        graph.append(
            f"[d{i}][r{i}]libvmaf=model=version={VMAF_MODEL}:n_threads=1"
            f":n_subsample={max(1, subsample)}:log_fmt=json:log_path={logs[i]}"
        )
    control.run([*args, "-filter_complex", ";".join(graph), "-f", "null", "-"])
    return [_pooled_mean(log) for log in logs]


def measure_window(
    source: Path,
    norm: Normalization,
    window: Window,
    encodes: Sequence[SampleEncode],
    display: tuple[int, int],
    scratch: Path,
    *,
    subsample: int = 1,
    control: RunControl = DEFAULT_CONTROL,
) -> list[Scored]:
    """Encode one window every way asked and score each encode."""
    paths = encode_window(source, norm, window, encodes, scratch, control)
    scores = score_window(
        source, norm, window, paths, display, subsample=subsample, control=control
    )
    seconds = window.seconds(norm)
    return [
        Scored(encode.name, path.stat().st_size * 8, seconds, score)
        for encode, path, score in zip(encodes, paths, scores, strict=True)
    ]


def _pooled_mean(log: Path) -> float:
    try:
        return float(json.loads(log.read_text(encoding="utf-8"))["pooled_metrics"]["vmaf"]["mean"])
    except (OSError, ValueError, KeyError) as exc:
        raise EncodeFailed(f"VMAF produced no readable log at {log.name}") from exc
