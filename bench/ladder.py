"""Per-title ladders against the fixed ladder: BD-rate at equal VMAF, and what the analysis costs.

    .venv/bin/python bench/ladder.py [--seconds 60] [--height 1080] [--sources all|a,b,...]
                                     [--subsample 5] [--window-s 1.6] [--json out.json]
                                     [--workdir DIR]

For each synthetic source (lavfi, 25 fps, `--seconds` long, 16:9 at `--height`): make the
master, run the per-title analysis (media.per_title, exactly what the LADDER task runs), then
encode the WHOLE title twice with the pipeline's encoder settings (the one-command ladder,
`plain_ffmpeg_ladder_command`: same scale filters and x264 arguments as the chunked path), once
with the fixed ladder and once with the per-title one. Every rendition of both is scored with
VMAF against the master over the whole title (every `--subsample`-th frame) at the display
size (the master's, up to 1080p), and its rate is its file's bits over the duration. The
per-title ladder's BD-rate against the fixed one (media.bdrate: PCHIP, log-rate, over the
shared VMAF range) is computed per source and averaged. Goal: <= -25 % (25 % fewer bits).

CPU is user + system time of the child processes (ffmpeg) around each step, which a loaded
machine inflates less than wall time. The analysis' share is its CPU over the CPU of the ladder
encode the job then runs (the per-title one), and over the fixed ladder's encode for reference.
Goal: <= 30 %. The analysis samples a fixed 4.8 s whatever the length, so short `--seconds` runs
overstate the share; take the goal figures at 60 s.

Sources (`SOURCES`), from a still slide to grain: slide, testsrc2, bars-scroll (SMPTE bars
scrolling), cellauto, life, mandelbrot, grain (testsrc2 under noise=alls=60), mix (a third each
of testsrc2, the slide and grain).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media import ProbeLimits, plan_normalization, probe
from vodstack.pipeline.media.bdrate import bd_rate
from vodstack.pipeline.media.encode import EncoderSettings, plain_ffmpeg_ladder_command
from vodstack.pipeline.media.ffmpeg import RunControl
from vodstack.pipeline.media.ladder import DEFAULT_LADDER, Ladder, resolve_ladder
from vodstack.pipeline.media.normalize import Normalization, picture_filters
from vodstack.pipeline.media.per_title import PerTitleSettings, analyze_per_title, display_size
from vodstack.pipeline.media.quality import VMAF_MODEL
from vodstack.pipeline.media.rate_quality import RatePoint

CONTROL = RunControl(timeout_s=6 * 3600)
Graph = Callable[[int, int, float], str]


def _slide(w: int, h: int, s: float) -> str:
    """A still title card: two boxes on a flat background."""
    title = f"drawbox=x={w // 8}:y={h // 4}:w={w // 2}:h={h // 6}:c=white:t=fill"
    line = f"drawbox=x={w // 8}:y={h // 2}:w={w // 3}:h={h // 12}:c=0xffcc00:t=fill"
    return f"color=c=0x203040:s={w}x{h}:r=25:d={s},{title},{line}"


def _mix(w: int, h: int, s: float) -> str:
    third = s / 3
    return (
        f"testsrc2=s={w}x{h}:r=25:d={third}[a];{_slide(w, h, third)}[b];"
        f"testsrc2=s={w}x{h}:r=25:d={third},noise=alls=30:allf=t[c];"
        "[a][b][c]concat=n=3:v=1:a=0[out0]"
    )


SOURCES: dict[str, Graph] = {
    "slide": _slide,
    "testsrc2": lambda w, h, s: f"testsrc2=s={w}x{h}:r=25:d={s}",
    "bars-scroll": lambda w, h, s: f"smptehdbars=s={w}x{h}:r=25:d={s},scroll=h=0.002",
    "cellauto": lambda w, h, s: f"cellauto=s={w}x{h}:r=25:rule=110:scroll=1,trim=duration={s}",
    "life": lambda w, h, s: (
        f"life=s={w // 4}x{h // 4}:r=25:mold=10:ratio=0.1:death_color=#202060"
        f":life_color=#40ff80,scale={w}:{h}:flags=neighbor,trim=duration={s}"
    ),
    "mandelbrot": lambda w, h, s: (
        f"mandelbrot=s={w // 2}x{h // 2}:r=25:maxiter=256,scale={w}:{h}:flags=bicubic,"
        f"trim=duration={s}"
    ),
    "grain": lambda w, h, s: f"testsrc2=s={w}x{h}:r=25:d={s},noise=alls=60:allf=t",
    "mix": _mix,
}


@dataclass
class Row:
    source: str
    fixed: list[dict[str, float | str]]
    per_title: list[dict[str, float | str]]
    bd_rate: float | None
    bd_note: str
    analysis_cpu_s: float
    fixed_encode_cpu_s: float
    per_title_encode_cpu_s: float
    vmaf_cpu_s: float

    @property
    def share(self) -> float:
        return self.analysis_cpu_s / self.per_title_encode_cpu_s

    @property
    def share_of_fixed(self) -> float:
        return self.analysis_cpu_s / self.fixed_encode_cpu_s


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _make_master(path: Path, graph: str, seconds: float) -> Path:
    # Near-transparent H.264 (CRF 14), so the master is not what limits VMAF.
    args = ["-f", "lavfi", "-i", graph, "-t", f"{seconds}", "-c:v", "libx264"]
    args += ["-preset", "veryfast", "-crf", "14", "-pix_fmt", "yuv420p", "-an", str(path)]
    CONTROL.run(args)
    return path


def _encode(
    master: Path, ladder: Ladder, out: Path, norm: Normalization
) -> tuple[list[Path], float]:
    info = probe(master, ProbeLimits())
    resolved = resolve_ladder(ladder, norm)
    out.mkdir(parents=True, exist_ok=True)
    before = _cpu()
    CONTROL.run(plain_ffmpeg_ladder_command(master, info, norm, resolved, out, EncoderSettings()))
    return [out / f"{r.name}.mp4" for r in resolved.video], _cpu() - before


def _vmaf(
    master: Path, norm: Normalization, renditions: Sequence[Path], subsample: int
) -> list[float]:
    """VMAF of each rendition against the whole master, at the display size, in one decode."""
    width, height = display_size(norm, 1080)
    size = f"scale={width}:{height}:flags=bicubic,setsar=1,format=yuv420p"
    count = len(renditions)
    refs = "".join(f"[r{i}]" for i in range(count))
    graph = [f"[0:v:0]{','.join(picture_filters(norm))},{size},split={count}{refs}"]
    args = ["-i", str(master)]
    logs = [r.with_suffix(".vmaf.json") for r in renditions]
    for i, rendition in enumerate(renditions):
        args += ["-i", str(rendition)]
        graph.append(f"[{i + 1}:v:0]setpts=PTS-STARTPTS,{size}[d{i}]")
        graph.append(
            f"[d{i}][r{i}]libvmaf=model=version={VMAF_MODEL}:n_threads=2"
            f":n_subsample={subsample}:log_fmt=json:log_path={logs[i]}"
        )
    CONTROL.run([*args, "-filter_complex", ";".join(graph), "-f", "null", "-"])
    return [json.loads(log.read_text())["pooled_metrics"]["vmaf"]["mean"] for log in logs]


def _points(files: Sequence[Path], vmafs: Sequence[float], seconds: float) -> list[RatePoint]:
    return [
        RatePoint(round(f.stat().st_size * 8 / seconds / 1000, 1), round(v, 2), 0, f.stem)
        for f, v in zip(files, vmafs, strict=True)
    ]


def run_source(name: str, args: argparse.Namespace, work: Path) -> Row:
    width = round(args.height * 16 / 9 / 2) * 2
    master = _make_master(
        work / f"{name}.mp4", SOURCES[name](width, args.height, args.seconds), args.seconds
    )
    info = probe(master, ProbeLimits())
    norm = plan_normalization(info)
    before = _cpu()
    settings = PerTitleSettings(window_s=args.window_s)
    chosen = analyze_per_title(
        master, info, norm, fixed=DEFAULT_LADDER, settings=settings, control=CONTROL
    )
    analysis_cpu = _cpu() - before
    fixed_files, fixed_cpu = _encode(master, DEFAULT_LADDER, work / f"{name}-fixed", norm)
    per_title_files, per_title_cpu = _encode(master, chosen.ladder, work / f"{name}-pt", norm)
    before = _cpu()
    vmafs = _vmaf(master, norm, [*fixed_files, *per_title_files], args.subsample)
    vmaf_cpu = _cpu() - before
    fixed = _points(fixed_files, vmafs[: len(fixed_files)], info.duration_s)
    per_title = _points(per_title_files, vmafs[len(fixed_files) :], info.duration_s)
    bd = bd_rate(fixed, per_title)
    for path in [master, *fixed_files, *per_title_files]:
        path.unlink(missing_ok=True)
    return Row(
        source=name,
        fixed=[{"rung": p.setting, "kbps": p.kbps, "vmaf": p.vmaf} for p in fixed],
        per_title=[{"rung": p.setting, "kbps": p.kbps, "vmaf": p.vmaf} for p in per_title],
        bd_rate=bd.percent,
        bd_note=bd.reason,
        analysis_cpu_s=round(analysis_cpu, 2),
        fixed_encode_cpu_s=round(fixed_cpu, 2),
        per_title_encode_cpu_s=round(per_title_cpu, 2),
        vmaf_cpu_s=round(vmaf_cpu, 2),
    )


def _rungs(points: Sequence[dict[str, float | str]]) -> str:
    return " ".join(f"{p['rung']}:{float(p['kbps']):.0f}k/{float(p['vmaf']):.0f}" for p in points)


def _print(row: Row) -> None:
    bd = f"{row.bd_rate:+.1f} %" if row.bd_rate is not None else f"n/a ({row.bd_note})"
    print(f"\n{row.source}: BD-rate per-title vs fixed {bd}")
    print(f"  fixed     {_rungs(row.fixed)}")
    print(f"  per-title {_rungs(row.per_title)}")
    print(
        f"  CPU s: analysis {row.analysis_cpu_s:.1f}, per-title encode "
        f"{row.per_title_encode_cpu_s:.1f} (share {row.share:.0%}), fixed encode "
        f"{row.fixed_encode_cpu_s:.1f} (share {row.share_of_fixed:.0%}); VMAF {row.vmaf_cpu_s:.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--sources", default="all", help=f"all, or some of {','.join(SOURCES)}")
    parser.add_argument("--subsample", type=int, default=5, help="VMAF every n-th frame.")
    parser.add_argument(
        "--window-s",
        type=float,
        default=PerTitleSettings().window_s,
        help="Length of each of the analysis' three sample windows (the pipeline's default).",
    )
    parser.add_argument("--json", type=Path, help="Also write the rows here.")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    names = list(SOURCES) if args.sources == "all" else args.sources.split(",")
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        parser.error(f"unknown sources {unknown}; known: {', '.join(SOURCES)}")
    print(
        f"load average at start: {os.getloadavg()}; {args.seconds:g} s at {args.height}p; "
        f"sample windows of {args.window_s:g} s"
    )
    started = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ladder-", dir=args.workdir) as scratch:
        for name in names:
            rows.append(run_source(name, args, Path(scratch)))
            _print(rows[-1])
    defined = [r.bd_rate for r in rows if r.bd_rate is not None]
    analysis = sum(r.analysis_cpu_s for r in rows)
    print(f"\nsources: {len(rows)}, BD-rate defined for {len(defined)}")
    if defined:
        mean = statistics.fmean(defined)
        print(f"average BD-rate per-title vs fixed: {mean:+.1f} % (goal <= -25 %)")
    print(
        f"analysis CPU / per-title encode CPU: "
        f"{analysis / sum(r.per_title_encode_cpu_s for r in rows):.0%} (goal <= 30 %); "
        f"/ fixed encode CPU: {analysis / sum(r.fixed_encode_cpu_s for r in rows):.0%}"
    )
    if args.seconds < 60:
        # The analysis samples a fixed few seconds whatever the length; the encode grows with it.
        at_60 = analysis / (sum(r.per_title_encode_cpu_s for r in rows) * 60 / args.seconds)
        print(f"  projected for 60 s sources (analysis cost fixed, encode x length): {at_60:.0%}")
    print(f"load average at end: {os.getloadavg()}; wall {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], indent=2))


if __name__ == "__main__":
    main()
