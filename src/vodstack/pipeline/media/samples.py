"""Short samples of a title, encoded several ways and scored with VMAF at the display size.

Per-title analysis (media.per_title) and `vodstack ladder compare` (media.ladder_compare) both
measure encodes this way. A sample is a window of grid frames that starts just after a source
keyframe (media.analysis.sample_windows), so its decode starts where it is needed. Each window is
decoded once for all its encodes and the reference (one ffmpeg, `split` to every output), and
the encodes once more for their VMAF scores (one ffmpeg, one `libvmaf` per encode against a
split of the raw reference).

VMAF is read at the display size, as Netflix does: each encode is scaled back up (bicubic) to
the display size before the comparison, so a 360p encode is judged as a viewer on a 1080p
screen sees it, and encodes of every height sit on one quality scale.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media.annexb import split_leading_key
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
    """A measured encode of one window: bits it took and its VMAF at the display size.

    `key_bits` are the bits of the window's leading key frame (media.annexb), out of `frames`.
    """

    name: str
    bits: int
    seconds: float
    vmaf: float
    key_bits: int = 0
    frames: int = 1

    def gop_bits(self, gop_frames: int) -> float:
        """The bits the window would take inside a real GOP of `gop_frames`: its key frame's
        bits spread over the GOP (one key frame per GOP, not one per window), its predicted
        frames at their measured mean."""
        if self.frames >= gop_frames or self.frames < 2:
            return float(self.bits)
        predicted = (self.bits - self.key_bits) / (self.frames - 1)
        per_frame = (self.key_bits + (gop_frames - 1) * predicted) / gop_frames
        return per_frame * self.frames


def encode_window(
    source: Path,
    norm: Normalization,
    window: Window,
    encodes: Sequence[SampleEncode],
    out_dir: Path,
    display: tuple[int, int],
    control: RunControl = DEFAULT_CONTROL,
) -> tuple[list[Path], Path]:
    """Every encode of one window, from a single decode; raw H.264 streams (no container:
    the bits counted are the video's own). The same decode also writes the reference for
    scoring, at the display size, as raw video: decoding a mezzanine is a large part of the
    analysis (grain's 130 Mbit/s master: half of it), so it is decoded once, not twice."""
    inputs, trim = grid_window(source, norm, window.first, window.first + window.frames)
    labels = [f"[s{i}]" for i in range(len(encodes))]
    graph = [f"[0:v:0]{','.join(trim)},split={len(encodes) + 1}{''.join(labels)}[ref]"]
    graph.append(f"[ref]{','.join(output_filters(*display))}[vref]")
    reference = out_dir / "reference.yuv"
    args = ["-map", "[vref]", "-an", "-sn", "-dn", "-f", "rawvideo", str(reference)]
    paths = []
    for i, encode in enumerate(encodes):
        graph.append(f"{labels[i]}{','.join(output_filters(encode.width, encode.height))}[v{i}]")
        path = out_dir / f"{encode.name}.h264"
        args += ["-map", f"[v{i}]", "-an", "-sn", "-dn", *encode.codec_args]
        args += ["-f", "h264", str(path)]
        paths.append(path)
    control.run([*inputs, "-filter_complex", ";".join(graph), *args])
    return paths, reference


def score_window(
    reference: Path,
    norm: Normalization,
    encoded: Sequence[Path],
    display: tuple[int, int],
    *,
    subsample: int = 1,
    control: RunControl = DEFAULT_CONTROL,
) -> list[float]:
    """Pooled mean VMAF of each encoded stream against the raw `reference` (the window at the
    `display` size, from `encode_window`), each stream scaled up to the display size.

    `subsample` scores every n-th frame only: the analysis needs a curve, not a report.
    """
    rate = f"{norm.fps.numerator}/{norm.fps.denominator}"
    size = f"scale={display[0]}:{display[1]}:flags=bicubic,setsar=1,format=yuv420p"
    count = len(encoded)
    refs = "".join(f"[r{i}]" for i in range(count))
    graph = [f"[0:v:0]setsar=1,split={count}{refs}"]
    args = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{display[0]}x{display[1]}"]
    args += ["-framerate", rate, "-i", str(reference)]
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
    paths, reference = encode_window(source, norm, window, encodes, scratch, display, control)
    scores = score_window(reference, norm, paths, display, subsample=subsample, control=control)
    reference.unlink()  # up to 124 MB a window at 1080p: not kept for the next one
    seconds = window.seconds(norm)
    return [
        _scored(encode.name, path, seconds, score, window.frames)
        for encode, path, score in zip(encodes, paths, scores, strict=True)
    ]


def _scored(name: str, path: Path, seconds: float, vmaf: float, frames: int) -> Scored:
    split = split_leading_key(path.read_bytes())
    total = (split.key_bytes + split.rest_bytes) * 8
    return Scored(name, total, seconds, vmaf, key_bits=split.key_bytes * 8, frames=frames)


def _pooled_mean(log: Path) -> float:
    try:
        return float(json.loads(log.read_text(encoding="utf-8"))["pooled_metrics"]["vmaf"]["mean"])
    except (OSError, ValueError, KeyError) as exc:
        raise EncodeFailed(f"VMAF produced no readable log at {log.name}") from exc
