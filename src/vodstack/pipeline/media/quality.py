"""VMAF per rendition on a sample of segments, against the normalized source.

For each sampled segment, the packaged segment (init + media) is the distorted input and the
source frames of the same grid range (same normalization as the encode) the reference; both are
scaled to the top rendition's size, as VMAF is meant to be read at the viewing size. The bundled
ffmpeg's libvmaf carries the `vmaf_v0.6.1` model built in, so no model file is needed.

VMAF is a report for people, not a gate: when it fails (libvmaf has crashed on tiny frames),
`quality.json` records a `warning` and no renditions, and the version is published anyway.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from vodstack.delivery.quality import QUALITY_NAME, QualityReport, RenditionQuality, SegmentScore
from vodstack.pipeline.media.encode import grid_window
from vodstack.pipeline.media.errors import EncodeFailed
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, Progress, RunControl
from vodstack.pipeline.media.normalize import Normalization
from vodstack.pipeline.media.rendition import INIT_NAME, PackagedRendition, RenditionKind, Segment

# The report's model lives in the delivery contract; re-exported for the media package.
__all__ = [
    "QUALITY_NAME",
    "VMAF_MODEL",
    "QualityReport",
    "RenditionQuality",
    "SegmentScore",
    "measure_quality",
    "quality_unmeasured",
    "sample_segments",
]

VMAF_MODEL = "vmaf_v0.6.1"


def quality_unmeasured(reason: str, out_path: Path | None = None) -> QualityReport:
    """The report of a version whose VMAF could not be measured: a warning, no scores."""
    report = QualityReport(
        model=VMAF_MODEL,
        reference_width=0,
        reference_height=0,
        renditions=(),
        warning=f"VMAF was not measured: {reason}",
    )
    if out_path is not None:
        report.write(out_path)
    return report


def sample_segments(segments: Sequence[Segment], samples: int) -> list[Segment]:
    """Up to `samples` segments spread evenly over the title, first and last included."""
    if samples <= 0 or not segments:
        return []
    if samples == 1 or len(segments) == 1:
        return [segments[len(segments) // 2]]
    count = min(samples, len(segments))
    picks = sorted({round(i * (len(segments) - 1) / (count - 1)) for i in range(count)})
    return [segments[i] for i in picks]


def measure_quality(
    source: Path,
    norm: Normalization,
    root: Path,
    renditions: Sequence[PackagedRendition],
    *,
    samples: int = 3,
    threads: int = 2,
    out_path: Path | None = None,
    control: RunControl = DEFAULT_CONTROL,
    on_progress: Callable[[float], None] | None = None,
    decryption_key: bytes | None = None,
) -> QualityReport:
    """VMAF for every video rendition under `root`; writes `quality.json` when `out_path` is set.

    `on_progress` gets the fraction done (0-1) over every sampled segment of every rendition,
    as ffmpeg reports its position in each."""
    video = [r for r in renditions if r.kind is RenditionKind.VIDEO]
    top = max(video, key=lambda r: r.width * r.height)
    picks = {r.name: sample_segments(r.segments, samples) for r in video}
    steps = _Steps(sum(len(p) for p in picks.values()), on_progress)
    results = []
    with tempfile.TemporaryDirectory(prefix="vmaf-") as scratch:
        for rendition in video:
            scores = [
                _score_segment(
                    source,
                    norm,
                    root / rendition.name,
                    segment,
                    top,
                    Path(scratch),
                    threads,
                    steps.control(control, segment.duration_s),
                    decryption_key,
                )
                for segment in picks[rendition.name]
            ]
            results.append(
                RenditionQuality(
                    name=rendition.name,
                    width=rendition.width,
                    height=rendition.height,
                    vmaf_mean=round(statistics.fmean(s.vmaf_mean for s in scores), 2),
                    vmaf_min=round(min(s.vmaf_min for s in scores), 2),
                    segments=tuple(scores),
                )
            )
    report = QualityReport(
        model=VMAF_MODEL,
        reference_width=top.width,
        reference_height=top.height,
        renditions=tuple(results),
    )
    if out_path is not None:
        report.write(out_path)
    return report


class _Steps:
    """Progress over a sequence of ffmpeg runs: each run is one equal step."""

    def __init__(self, total: int, report: Callable[[float], None] | None) -> None:
        self._total = max(1, total)
        self._done = 0
        self._report = report

    def control(self, control: RunControl, duration_s: float) -> RunControl:
        if self._report is None:
            return control
        step, report = self._done, self._report
        self._done += 1

        def progress(p: Progress) -> None:
            within = min(1.0, p.out_time_s / max(duration_s, 1e-3))
            report((step + within) / self._total)
            if control.progress is not None:
                control.progress(p)

        return replace(control, progress=progress)


def _score_segment(
    source: Path,
    norm: Normalization,
    rendition_dir: Path,
    segment: Segment,
    top: PackagedRendition,
    scratch: Path,
    threads: int,
    control: RunControl,
    key: bytes | None = None,
) -> SegmentScore:
    distorted = scratch / f"{rendition_dir.name}_{segment.number}.mp4"
    distorted.write_bytes(
        (rendition_dir / INIT_NAME).read_bytes() + (rendition_dir / segment.filename).read_bytes()
    )
    first = round(segment.start_s * norm.fps)
    end = first + round(segment.duration_s * norm.fps)
    ref_inputs, ref_window = grid_window(source, norm, first, end)
    size = f"scale={top.width}:{top.height}:flags=bicubic,setsar=1,format=yuv420p"
    log = scratch / f"{rendition_dir.name}_{segment.number}.json"
    graph = ";".join(
        [
            f"[0:v]setpts=PTS-STARTPTS,{size}[dist]",
            f"[1:v]{','.join(ref_window)},{size}[ref]",
            f"[dist][ref]libvmaf=model=version={VMAF_MODEL}:n_threads={threads}"
            f":log_fmt=json:log_path={log}",
        ]
    )
    # An encrypted package (media.protection) is decrypted by the MP4 demuxer.
    decrypt = ["-decryption_key", key.hex()] if key is not None else []
    args = [
        *decrypt,
        "-i",
        str(distorted),
        *ref_inputs,
        "-filter_complex",
        graph,
        "-f",
        "null",
        "-",
    ]
    control.run(args)
    return _read_score(log, segment.number)


def _read_score(log: Path, number: int) -> SegmentScore:
    try:
        pooled = json.loads(log.read_text(encoding="utf-8"))["pooled_metrics"]["vmaf"]
    except (OSError, ValueError, KeyError) as exc:
        raise EncodeFailed(f"VMAF produced no readable log for segment {number}") from exc
    return SegmentScore(
        number=number, vmaf_mean=round(pooled["mean"], 2), vmaf_min=round(pooled["min"], 2)
    )
