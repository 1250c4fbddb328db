"""The content pipeline against one plain ffmpeg command, worker scaling, memory and disk.

    .venv/bin/python bench/pipeline.py [--quick] [--chunk-s 16] [--repeat N] [--preview]
                                       [--parts ab,c] [--workdir DIR]

In one run, on masters made with the media layer's synthetic sources (testsrc2, 25 fps, AAC):

(a) wall time of the one-command ladder (`plain_ffmpeg_ladder_command`: one decode, `split`,
    every rung with the same scale filters and x264 arguments, the audio) against the
    pipeline with 2 worker processes on the same 60 s 1080p master and ladder, both with the
    same encoder settings (`threads=1`: one x264 thread per rung in the plain command, one per
    worker in the pipeline). Goal <= 1.10x. Like for like, the pipeline runs without its
    preview pass (the plain command makes no preview, as it makes no VMAF report); a row with
    the preview (the default) shows what it costs and when the title became watchable. A last
    row runs the plain command with `threads=0` (x264 decides) for reference.
(b) the pipeline with 1 worker against 2 workers, every ffmpeg single-threaded
    (`-threads 1`, x264 `threads=1`, one filter thread), each worker on a core of its own (the
    pool pins single-threaded workers: `jobs.pool.worker_cores`; a reference row in (a) runs
    with `pin_workers=False`). Goal >= 1.8x. The anchor, in the same round: the plain command
    pinned to one core, alone and then two copies side by side on two cores: what this machine
    gives two independent encodes of this ladder (shared caches, memory bandwidth and the
    host's other tenants make that less than 2x on a cloud VM).
`--repeat N` runs N rounds of (a) and (b), each round every contestant back to back, and reports
each round and the medians: on a shared VM the same work took up to 22 % more CPU time from one
run to the next. `--preview` runs (a) and (b) with the preview pass on.
(c) peak RSS of the whole process tree and peak disk of the work areas for a 60 s and a 600 s
    master made and encoded with the same settings (640x360 source: the 240p and 360p rungs, so
    the 600 s run fits on two cores); bounded = not growing with the length.

The pipeline runs for real: a `WorkerPool` of spawned worker processes, the SQLite queue, the
local object store; timings come from the task rows. "ladder" is job creation -> the last
rendition joined (the plain command's output: one MP4 per rung + audio); "published" adds
packaging, manifests and the validated atomic publish. (a) and (b) run without the VMAF report
and thumbnails (the plain command makes neither); (c) runs the whole job. CPU is user + system
time of all child processes (workers and their ffmpeg) from job creation on (the workers'
start-up excluded), steadier than wall time on a loaded machine. `--quick` uses 12 s and 60 s
masters instead of 60 s and 600 s (a smoke run; too short for the goals to mean much).
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from vodstack.config.settings import PipelineSettings, Settings, load_settings
from vodstack.contracts.pipeline import JobDetail
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.pool import WorkerPool
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.states import JobState, TaskKind, TaskState
from vodstack.pipeline.media import (
    DEFAULT_LADDER,
    EncoderSettings,
    FfmpegRunner,
    Pattern,
    ffmpeg_exe,
    make_synthetic,
    plain_ffmpeg_ladder_command,
    plan_normalization,
    probe,
    resolve_ladder,
)
from vodstack.storage import LocalObjectStore

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")
_SAMPLE_S = 0.2
_WARM_UP_S = 4.0  # spawned workers import the stack before they claim anything


@dataclass(frozen=True)
class Master:
    path: Path
    seconds: float
    width: int
    height: int


@dataclass
class Peaks:
    """Largest values seen by the sampler."""

    rss_bytes: int = 0
    disk_bytes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    label: str
    wall_s: float  # the plain command, or the pipeline's "ladder" phase
    published_s: float | None
    cpu_s: float  # the plain command, or the pipeline's "ladder" phase
    total_cpu_s: float
    peaks: Peaks
    joined_s: dict[str, float] = field(default_factory=dict)  # rendition -> joined at
    preview_s: float | None = None  # the preview version published at


# -- measuring ---------------------------------------------------------------------------------


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _live_children_cpu(root: int) -> float:
    """CPU used so far by the live children of `root` and the children they reaped."""
    ticks = 0
    for pid in _descendants(root)[1:]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root:
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / _TICKS


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _tree_rss(root: int) -> int:
    total = 0
    for pid in _descendants(root):
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
    return total


def _disk_usage(root: Path) -> int:
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                total += (Path(folder) / name).lstat().st_blocks * 512
            except OSError:
                continue
    return total


class Sampler:
    """Polls the process tree's RSS and the disk use of some folders on its own thread."""

    def __init__(self, areas: dict[str, Path]) -> None:
        self.areas = areas
        self.peaks = Peaks(disk_bytes=dict.fromkeys(areas, 0))
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)

    def _loop(self) -> None:
        while not self._done.wait(_SAMPLE_S):
            self.peaks.rss_bytes = max(self.peaks.rss_bytes, _tree_rss(os.getpid()))
            for name, path in self.areas.items():
                used = _disk_usage(path)
                self.peaks.disk_bytes[name] = max(self.peaks.disk_bytes[name], used)

    @contextmanager
    def running(self) -> Iterator[Peaks]:
        self._thread.start()
        try:
            yield self.peaks
        finally:
            self._done.set()
            self._thread.join()


# -- the two contestants -----------------------------------------------------------------------


def _plain_args(master: Master, out_dir: Path, settings: EncoderSettings) -> list[str]:
    """The one-command ladder's arguments, writing into a fresh `out_dir`."""
    info = probe(master.path)
    norm = plan_normalization(info)
    ladder = resolve_ladder(DEFAULT_LADDER, norm)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    return plain_ffmpeg_ladder_command(master.path, info, norm, ladder, out_dir, settings)


def run_plain(master: Master, out_dir: Path, settings: EncoderSettings) -> Result:
    args = _plain_args(master, out_dir, settings)
    cpu = _children_cpu()
    with Sampler({"output": out_dir}).running() as peaks:
        began = time.monotonic()
        FfmpegRunner().run(args)
        wall = time.monotonic() - began
    shutil.rmtree(out_dir)
    cpu = _children_cpu() - cpu
    return Result(f"plain ffmpeg, threads={settings.threads}", wall, None, cpu, cpu, peaks)


def run_plain_pinned(master: Master, runs: Path, cores: list[int]) -> float:
    """Wall time of one plain single-threaded ladder per core in `cores`, side by side, each
    pinned to its core (as the pool pins a worker and its ffmpeg)."""
    serial = EncoderSettings(threads=1)
    commands = {core: _plain_args(master, runs / f"plain-core{core}", serial) for core in cores}
    began = time.monotonic()
    procs = [
        subprocess.Popen(
            [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args],
            preexec_fn=functools.partial(os.sched_setaffinity, 0, {core}),
        )
        for core, args in commands.items()
    ]
    codes = [proc.wait() for proc in procs]
    wall = time.monotonic() - began
    for core in cores:
        shutil.rmtree(runs / f"plain-core{core}", ignore_errors=True)
    if any(codes):
        raise SystemExit(f"the plain command failed: exit codes {codes}")
    return wall


def _pipeline_settings(
    data_dir: Path, workers: int, chunk_s: float, extras: bool, preview: bool, pin: bool | None
) -> Settings:
    pipeline = PipelineSettings(
        workers=workers,
        pin_workers=pin,
        encoder_threads=1,
        chunk_s=chunk_s,
        quality_report=extras,
        thumbnails=extras,
        preview_height=PipelineSettings().preview_height if preview else 0,
        poll_s=0.2,
        ladder_mode="fixed",  # the anchor (plain ffmpeg) encodes the fixed ladder
    )
    return load_settings(data_dir=data_dir, pipeline=pipeline)


def run_pipeline(
    master: Master,
    data_dir: Path,
    *,
    workers: int,
    chunk_s: float,
    extras: bool,
    preview: bool,
    pin: bool | None = None,
) -> Result:
    settings = _pipeline_settings(data_dir, workers, chunk_s, extras, preview, pin)
    store = LocalObjectStore(data_dir / "objects")
    store.put_file("masters/1/master.mp4", master.path)
    engine, sessions = open_database(settings)
    queue = JobQueue(sessions, settings.pipeline)
    areas = {"scratch": data_dir / "work", "store work/": data_dir / "objects" / "work"}
    cpu = _children_cpu()
    pool = WorkerPool(settings)
    pool.start()
    try:
        time.sleep(_WARM_UP_S)
        started = _live_children_cpu(os.getpid())  # the workers' start-up is not the job's
        ladder_cpu: float | None = None
        with Sampler(areas).running() as peaks:
            began = time.time()
            job_id = queue.create_job(1, "masters/1/master.mp4")
            job = job_detail(sessions, job_id)
            while not job.state.terminal:
                time.sleep(0.1)
                job = job_detail(sessions, job_id)
                if ladder_cpu is None and _ladder_done(job):
                    ladder_cpu = _live_children_cpu(os.getpid()) - started
    finally:
        pool.stop(grace_s=5)
        engine.dispose()
    if job.state is not JobState.SUCCEEDED:
        raise SystemExit(f"the pipeline job failed: {job.error}")
    joined = {
        t.rendition or "": (t.finished_at or 0.0) - began
        for t in job.tasks
        if t.kind is TaskKind.CONCAT
    }
    published = (job.finished_at or 0.0) - began
    label = f"pipeline, {workers} worker{'s' if workers > 1 else ''}"
    label += ", not pinned" if pin is False else ""
    label += ", preview" if job.preview_version else ""  # none when every rung is a low one
    total_cpu = _children_cpu() - cpu - started
    ladder = max(joined.values())
    watchable = (job.preview_published_at or 0.0) - began if job.preview_published_at else None
    result = Result(
        label, ladder, published, ladder_cpu or total_cpu, total_cpu, peaks, joined, watchable
    )
    shutil.rmtree(data_dir)
    return result


def _ladder_done(job: JobDetail) -> bool:
    concats = [t for t in job.tasks if t.kind is TaskKind.CONCAT]
    return bool(concats) and all(t.state is TaskState.SUCCEEDED for t in concats)


# -- the run -----------------------------------------------------------------------------------


def make_master(folder: Path, seconds: float, width: int, height: int) -> Master:
    path = folder / f"testsrc2_{width}x{height}_{seconds:g}s.mp4"
    if not path.exists():
        print(f"  making {path.name} ...", flush=True)
        partial = path.with_suffix(".part.mp4")
        make_synthetic(
            partial, Pattern.TESTSRC2, duration_s=seconds, width=width, height=height,
            title="Pipeline bench",
        )  # fmt: skip
        partial.rename(path)
    return Master(path, seconds, width, height)


def _mb(value: int) -> str:
    return f"{value / 1e6:,.0f} MB"


def _row(result: Result, seconds: float) -> str:
    published = f"{result.published_s:6.1f}" if result.published_s is not None else "     -"
    disk = ", ".join(f"{k} {_mb(v)}" for k, v in result.peaks.disk_bytes.items())
    return (
        f"| {result.label:26} | {result.wall_s:6.1f} | {published} | {result.cpu_s:6.1f} "
        f"| {result.total_cpu_s:6.1f} "
        f"| {seconds / result.wall_s:5.2f} | {_mb(result.peaks.rss_bytes):>8} | {disk} |"
    )


def _table(title: str, rows: list[tuple[Result, float]]) -> None:
    print(f"\n{title}")
    print(
        "| run | ladder s | published s | ladder CPU s | total CPU s | media s per s "
        "| peak RSS | peak disk |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for result, seconds in rows:
        print(_row(result, seconds))


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def step(name: str) -> None:
    print(f"  {name} (load {_load()})", flush=True)


def run_speed(hd: Master, runs: Path, chunk_s: float, repeat: int, preview: bool) -> None:
    """(a) and (b): the plain command and the pipeline at 2 and 1 workers, single-threaded.

    Each round runs the plain command, the pipeline with 2 workers and with 1, and the pinned
    anchor back to back, so every ratio compares runs minutes apart: on this shared VM the
    same work took 22 % more CPU time in one run than in the next.
    """
    serial = EncoderSettings(threads=1)  # the pipeline's encoder_threads=1, same x264 arguments
    rounds: list[tuple[Result, Result, Result, float, float]] = []
    for index in range(repeat):
        step(f"round {index + 1}: (a) plain command, threads=1")
        plain = run_plain(hd, runs / "plain", serial)
        step(f"round {index + 1}: (a, b) pipeline, 2 workers")
        two = run_pipeline(
            hd, runs / "two", workers=2, chunk_s=chunk_s, extras=False, preview=preview
        )
        step(f"round {index + 1}: (b) pipeline, 1 worker")
        one = run_pipeline(
            hd, runs / "one", workers=1, chunk_s=chunk_s, extras=False, preview=preview
        )
        step(f"round {index + 1}: (b) anchor, the plain command pinned, alone then two copies")
        alone = run_plain_pinned(hd, runs, [0])
        pair = run_plain_pinned(hd, runs, [0, 1])
        rounds.append((plain, two, one, alone, pair))
    step("(a) pipeline, 2 workers, with the preview pass")
    with_preview = run_pipeline(
        hd, runs / "two-preview", workers=2, chunk_s=chunk_s, extras=False, preview=True
    )
    step("(a) pipeline, 2 workers, not pinned (reference)")
    unpinned = run_pipeline(
        hd, runs / "two-free", workers=2, chunk_s=chunk_s, extras=False, preview=preview, pin=False
    )
    step("(reference) plain command, threads=0 (x264 decides)")
    auto = run_plain(hd, runs / "plain-auto", EncoderSettings())
    plain, two, one = rounds[-1][:3]
    _table(f"(a, b) {hd.seconds:g} s {hd.width}x{hd.height} master, all rungs, last round", [
        (plain, hd.seconds), (two, hd.seconds), (with_preview, hd.seconds),
        (unpinned, hd.seconds), (one, hd.seconds), (auto, hd.seconds),
    ])  # fmt: skip
    print("\n(a) round | plain s | 2 workers s | wall ratio | CPU ratio")
    walls, cpus = [], []
    for index, (plain, two, *_) in enumerate(rounds):
        walls.append(two.wall_s / plain.wall_s)
        cpus.append(two.cpu_s / plain.cpu_s)
        print(
            f"    {index + 1} | {plain.wall_s:.1f} | {two.wall_s:.1f} | {walls[-1]:.2f}x "
            f"| {cpus[-1]:.2f}x"
        )
    print(
        f"(a) pipeline / plain, wall, median of {repeat}: {statistics.median(walls):.2f}x "
        f"(goal <= 1.10); CPU {statistics.median(cpus):.2f}x"
    )
    plain = rounds[-1][0]
    print(f"    not pinned / plain (last round's plain): {unpinned.wall_s / plain.wall_s:.2f}x")
    cost = with_preview.wall_s / rounds[-1][1].wall_s
    watchable = with_preview.preview_s or 0.0
    print(
        f"    with the preview pass: {with_preview.wall_s / plain.wall_s:.2f}x plain, "
        f"{cost:.2f}x the time without it; watchable (preview published) after "
        f"{watchable:.1f} s = {watchable / with_preview.wall_s:.0%} of its ladder time, "
        f"complete after {with_preview.published_s or 0.0:.1f} s"
    )
    print("(b) round | 1 worker s | 2 workers s | pipeline 2 vs 1 | plain alone s "
          "| plain pair s | plain 2 vs 1")  # fmt: skip
    scalings, anchors = [], []
    for index, (_, two, one, alone, pair) in enumerate(rounds):
        scalings.append(one.wall_s / two.wall_s)
        anchors.append(2 * alone / pair)
        print(
            f"    {index + 1} | {one.wall_s:.1f} | {two.wall_s:.1f} | {scalings[-1]:.2f}x "
            f"| {alone:.1f} | {pair:.1f} | {anchors[-1]:.2f}x"
        )
    print(
        f"(b) 2 workers vs 1, throughput, median of {repeat}: "
        f"{statistics.median(scalings):.2f}x (goal >= 1.8); the machine's own scaling for two "
        f"plain ladders: {statistics.median(anchors):.2f}x"
    )


def run_memory(small: Master, large: Master, runs: Path, chunk_s: float) -> None:
    """(c): the whole job on a short and a long master, same settings."""
    step(f"(c) {small.seconds:g} s and {large.seconds:g} s, whole job")
    mem = [
        run_pipeline(m, runs / f"mem{i}", workers=2, chunk_s=chunk_s, extras=True, preview=True)
        for i, m in enumerate((small, large))
    ]
    _table(f"(c) {small.width}x{small.height}, whole job incl. VMAF and thumbnails", [
        (r, m.seconds) for r, m in zip(mem, (small, large), strict=True)
    ])  # fmt: skip
    rss = mem[1].peaks.rss_bytes / mem[0].peaks.rss_bytes
    scratch = mem[1].peaks.disk_bytes["scratch"] / max(1, mem[0].peaks.disk_bytes["scratch"])
    print(f"\n(c) {large.seconds:g} s vs {small.seconds:g} s: peak RSS {rss:.2f}x, "
          f"peak scratch {scratch:.2f}x")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="12 s and 60 s masters")
    parser.add_argument("--chunk-s", type=float, default=16.0)
    parser.add_argument("--parts", default="ab,c", help="ab (speed), c (memory) or both")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of (a) and (b)")
    parser.add_argument("--preview", action="store_true", help="(a), (b) with the preview pass")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "vodbench")
    args = parser.parse_args(argv)
    short, long = (12.0, 60.0) if args.quick else (60.0, 600.0)
    masters = args.workdir / "masters"
    masters.mkdir(parents=True, exist_ok=True)
    runs = args.workdir / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    print(f"load average before: {_load()}; chunks of {args.chunk_s:g} s", flush=True)
    parts = set(args.parts.split(","))
    if "ab" in parts:
        hd = make_master(masters, short, 1920, 1080)
        run_speed(hd, runs, args.chunk_s, max(1, args.repeat), args.preview)
    if "c" in parts:
        small, large = (make_master(masters, s, 640, 360) for s in (short, long))
        run_memory(small, large, runs, args.chunk_s)
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
