"""The real task executor: each task kind mapped onto the media layer.

A chunk is decoded once per pass, by SPLIT, into a raw mezzanine in host-local scratch
(jobs.scratch): for the preview pass scaled to its largest rung, for the main pass at full size.
Each ENCODE of the chunk scales and encodes from its pass's mezzanine (media.mezzanine) and
DISCARD deletes it.
Tasks get the job's source facts (probe, normalization, ladder, chunks) once per worker process
and job (cached), re-derived from the `SourceInfo` PROBE stored: re-deriving is deterministic, and
the analysis stored with the job is for people. Media errors are translated here, once: an
unusable source is not retryable, a failed ffmpeg run is, a cancelled one is a cancel.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from vodstack.config.settings import Settings
from vodstack.delivery.quality import QUALITY_NAME
from vodstack.pipeline.jobs.content_keys import content_key
from vodstack.pipeline.jobs.dag import PREVIEW, Band, JobPlan, output_key, task_name
from vodstack.pipeline.jobs.executor import (
    AnalysisResult,
    InputLostError,
    TaskCancelledError,
    TaskContext,
    TaskError,
)
from vodstack.pipeline.jobs.publish import publish_asset, version_of
from vodstack.pipeline.jobs.scratch import mezzanine_path, source_cache_dir
from vodstack.pipeline.jobs.states import TaskKind
from vodstack.pipeline.jobs.title_settings import encrypts
from vodstack.pipeline.media import (
    DEFAULT_LADDER,
    POSTER_NAME,
    SEEK_MARGIN_S,
    AudioRung,
    Chunk,
    DecodeCheck,
    EncodeCancelled,
    EncodeFailed,
    EncoderSettings,
    EncodeTimeout,
    FfmpegRunner,
    InvalidAsset,
    InvalidMedia,
    Ladder,
    Normalization,
    ProbeLimits,
    Progress,
    ResolvedLadder,
    RunControl,
    Rung,
    SourceInfo,
    VideoCodec,
    VideoRendition,
    concat_chunks,
    corrupt_media,
    describe_rendition,
    describe_source,
    encode_audio,
    encode_from_mezzanine,
    estimate_complexity,
    locate_corruption,
    make_poster,
    make_trickplay,
    measure_quality,
    plan_chunks,
    plan_normalization,
    probe,
    quality_unmeasured,
    resolve_ladder,
    segment_rendition,
    split_chunk,
    validate_asset,
    with_codecs,
    write_manifests,
)
from vodstack.pipeline.media.audio_tracks import audio_rungs, write_track
from vodstack.pipeline.media.per_title import analyze_per_title, ladder_from_dict
from vodstack.pipeline.media.protection import Cenc
from vodstack.storage import ObjectStore

log = logging.getLogger(__name__)

_MARKER = "_complete.json"
_PLANNING = (TaskKind.PROBE, TaskKind.LADDER)  # the tasks that run before the ladder is known
_THUMBS = "thumbs"
_TRICKPLAY_INTERVAL_S = 10.0


def check_source(path: Path) -> str | None:
    """Why `path` cannot be ingested (the probe's message), or None if it is usable."""
    try:
        probe(path, ProbeLimits())
    except InvalidMedia as exc:
        return exc.message
    return None


def configured_ladder(settings: Settings) -> Ladder:
    rungs = settings.pipeline.ladder
    ladder = DEFAULT_LADDER
    if rungs:
        video = tuple(Rung(f"v{h}p", h, kbps, kbps * 3 // 2, kbps * 2) for h, kbps in rungs)
        ladder = Ladder(video=video, audio=DEFAULT_LADDER.audio)
    return with_codecs(ladder, [VideoCodec(c) for c in settings.pipeline.codecs])


@dataclass(frozen=True)
class SourceMedia:
    """The facts every task of a job derives from its master."""

    path: Path
    info: SourceInfo
    norm: Normalization
    ladder: ResolvedLadder
    chunks: tuple[Chunk, ...]
    # False while a per-title ladder is still to be chosen (PROBE, LADDER): `ladder` is the
    # configured one, a stand-in no encode may use.
    ladder_chosen: bool = True

    def rendition(self, name: str | None) -> VideoRendition:
        return next(r for r in self.ladder.video if r.name == name)

    @property
    def audio(self) -> tuple[AudioRung, ...]:
        """Every audio rendition, the default (the ladder's own) first."""
        return audio_rungs(self.info, self.ladder.audio)

    def audio_rung(self, name: str | None) -> AudioRung:
        """An AUDIO task's rendition: its name, or None for the default one."""
        return next(r for r in self.audio if r.name == (name or self.ladder.audio.name))

    def preview(self, max_height: int) -> list[VideoRendition]:
        """The rungs of the preview pass: H.264 (every player decodes it; the other codecs
        cost more to encode) up to `max_height`, and never the whole ladder."""
        rungs = [
            r for r in self.ladder.video if r.height <= max_height and r.codec is VideoCodec.H264
        ]
        return rungs if len(rungs) < len(self.ladder.video) else []

    def mezzanine_size(self, plan: JobPlan, tier: str | None) -> tuple[int, int] | None:
        """The size a tier's mezzanine is scaled to: the preview's largest rung, or None."""
        if tier != PREVIEW:
            return None
        top = self.rendition(plan.preview[-1])
        return top.width, top.height


@contextmanager
def _media_errors() -> Iterator[None]:
    try:
        yield
    except InvalidMedia as exc:
        raise TaskError(exc.message, retryable=False) from exc
    except InvalidAsset as exc:
        raise TaskError(str(exc), retryable=False) from exc
    except EncodeCancelled as exc:
        raise TaskCancelledError(str(exc)) from exc
    except EncodeFailed as exc:
        raise TaskError(str(exc), retryable=True) from exc


@contextmanager
def _damage_located(source: Path, kind: str, start_s: float, end_s: float) -> Iterator[None]:
    """A failed decode of damaged data becomes the uploader's error naming the time position;
    any other failure stays an ffmpeg failure (retried)."""
    try:
        yield
    except EncodeTimeout:
        raise
    except EncodeFailed as exc:
        at = locate_corruption(str(source), kind, max(0.0, start_s), end_s)
        if at is None:
            raise
        raise corrupt_media(kind, at) from exc


def _upload_tree(store: ObjectStore, root: Path, prefix: str) -> None:
    """Put every file under `root` at `prefix/...`, then the completion marker (last)."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        store.put_file(f"{prefix}/{path.relative_to(root).as_posix()}", path, move=True)
    store.put_bytes(f"{prefix}/{_MARKER}", json.dumps({"files": len(files)}).encode())


def _download_tree(store: ObjectStore, prefix: str, dest: Path) -> Path:
    for key in store.list(prefix + "/"):
        relative = key[len(prefix) + 1 :]
        if relative != _MARKER:
            store.fetch(key, dest / relative)
    return dest


def _folder(job_id: int, kind: TaskKind) -> str:
    return output_key(job_id, kind).rsplit("/", 1)[0]


class MediaTaskExecutor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        config = settings.pipeline
        self.runner = FfmpegRunner(timeout_s=config.task_timeout_s)
        # Full ladders and VMAF yield the CPU to previews (jobs.schedule's bands).
        self.background = FfmpegRunner(
            timeout_s=config.task_timeout_s, niceness=config.ladder_niceness
        )
        self.encoder = EncoderSettings(threads=config.encoder_threads)
        self.ladder = configured_ladder(settings)
        self._sources: dict[int, SourceMedia] = {}
        self._handlers: dict[TaskKind, Callable[[TaskContext], AnalysisResult | None]] = {
            TaskKind.PROBE: self._probe,
            TaskKind.ANALYZE: self._analyze,
            TaskKind.LADDER: self._ladder,
            TaskKind.SPLIT: self._split,
            TaskKind.ENCODE: self._encode,
            TaskKind.DISCARD: self._discard,
            TaskKind.AUDIO: self._audio,
            TaskKind.CONCAT: self._concat,
            TaskKind.PACKAGE: self._package,
            TaskKind.QUALITY: self._quality,
            TaskKind.THUMBS: self._thumbs,
            TaskKind.PUBLISH: self._publish,
        }

    def run(self, ctx: TaskContext) -> AnalysisResult | None:
        with _media_errors():
            return self._handlers[ctx.task.kind](ctx)

    # -- source facts, once per job and worker process -----------------------------------

    def _source(self, ctx: TaskContext) -> SourceMedia:
        job_id = ctx.task.job_id
        cached = self._sources.get(job_id)
        # A process that ran PROBE holds the stand-in ladder; the job's later tasks need the
        # ladder LADDER chose since.
        stale = cached is not None and not cached.ladder_chosen and ctx.task.kind not in _PLANNING
        if cached is None or stale:
            self._sources = {job_id: self._load_source(ctx)}  # keep one job: bounded memory
        return self._sources[job_id]

    def _load_source(self, ctx: TaskContext) -> SourceMedia:
        key = ctx.task.source_key
        path = ctx.store.local_path(key)
        if path is None:
            cache = source_cache_dir(self.settings.data_dir, ctx.task.job_id)
            path = cache / key.rsplit("/", 1)[-1]
            if not path.exists():
                ctx.store.fetch(key, path)
        info = self._probed(ctx, path)
        norm = plan_normalization(info)
        config = self.settings.pipeline
        chunks = plan_chunks(
            info, norm, chunk_s=config.chunk_s, align_to_keyframes=config.align_chunks_to_keyframes
        )
        ladder, chosen = self._job_ladder(ctx, info)
        return SourceMedia(path, info, norm, resolve_ladder(ladder, norm), chunks, chosen)

    def _job_ladder(self, ctx: TaskContext, info: SourceInfo) -> tuple[Ladder, bool]:
        """The job's ladder, and whether it is final: per title, what LADDER stored."""
        config = self.settings.pipeline
        if config.ladder_mode != "per-title" or info.duration_s < config.per_title_min_s:
            return self.ladder, True
        key = output_key(ctx.task.job_id, TaskKind.LADDER)
        if not ctx.store.exists(key):
            return self.ladder, False
        stored = json.loads(ctx.store.read_bytes(key))
        chosen = ladder_from_dict(stored["analysis"]["ladder"], self.ladder)
        return with_codecs(chosen, [VideoCodec(c) for c in self.settings.pipeline.codecs]), True

    def _probed(self, ctx: TaskContext, path: Path) -> SourceInfo:
        # PROBE's output: a 60 s 1080p master takes 1.5 s to probe, once per job is enough.
        probed = output_key(ctx.task.job_id, TaskKind.PROBE)
        if ctx.task.kind is not TaskKind.PROBE and ctx.store.exists(probed):
            stored = json.loads(ctx.store.read_bytes(probed))
            return SourceInfo.from_dict(stored["analysis"]["source"])
        return probe(path, ProbeLimits())

    def _control(
        self, ctx: TaskContext, progress: Callable[[Progress], None] | None = None
    ) -> RunControl:
        """This task's ffmpeg control: the executor's runner for its band (timeout, CPU
        priority), the task's cancel token, and the progress report when the step has one."""
        runner = self.runner if ctx.task.band is Band.PREVIEW else self.background
        return RunControl(runner=runner, cancel=ctx.cancel, progress=progress)

    def _progress(self, ctx: TaskContext, total_s: float) -> Callable[[Progress], None]:
        return lambda p: ctx.report_progress(min(1.0, p.out_time_s / max(total_s, 1e-3)))

    # -- the tasks -------------------------------------------------------------------------

    def _plan(self, source: SourceMedia, *, encrypted: bool) -> JobPlan:
        config = self.settings.pipeline
        return JobPlan(
            renditions=[r.name for r in source.ladder.video],
            chunks=len(source.chunks),
            has_audio=True,  # a source without sound gets a silent track (same shape for players)
            quality=config.quality_report,
            thumbs=config.thumbnails,
            encrypted=encrypted,
            preview=[r.name for r in source.preview(config.preview_height)],
            extra_audio=[r.name for r in source.audio[1:]],
        )

    def _probe(self, ctx: TaskContext) -> AnalysisResult:
        """Validate the master and plan the job from the probe alone (the DAG expands on it)."""
        source = self._source(ctx)
        details = describe_source(source.info, source.norm)
        details["renditions"] = [
            {
                "name": r.name,
                "codec": r.codec.value,
                "width": r.width,
                "height": r.height,
                "kbps": r.rung.bitrate_kbps,
            }
            for r in source.ladder.video
        ]
        details["chunks"] = [{"start_s": c.start_s, "end_s": c.end_s} for c in source.chunks]
        # The title's choice (jobs.title_settings), fixed for the whole job by its plan.
        encrypted = encrypts(ctx.store, ctx.task.title_id, self.settings.pipeline.encrypt)
        plan = self._plan(source, encrypted=encrypted)
        if not source.ladder_chosen:
            plan = plan.model_copy(update={"ladder_pending": True, "preview": []})
        return AnalysisResult(plan=plan, analysis=details)

    def _ladder(self, ctx: TaskContext) -> AnalysisResult:
        """Choose the title's ladder on sample encodes (media.per_title) and plan with it."""
        source = self._source(ctx)
        # Rungs are chosen on H.264 samples; the other configured codecs then get a copy of
        # every chosen rung, as they do of the fixed ladder (configured_ladder).
        h264 = replace(
            self.ladder, video=tuple(r for r in self.ladder.video if r.codec is VideoCodec.H264)
        )
        chosen = analyze_per_title(
            source.path, source.info, source.norm, fixed=h264, control=self._control(ctx)
        )
        ladder = with_codecs(chosen.ladder, [VideoCodec(c) for c in self.settings.pipeline.codecs])
        planned = replace(source, ladder=resolve_ladder(ladder, source.norm), ladder_chosen=True)
        self._sources = {ctx.task.job_id: planned}
        details = {
            "ladder": chosen.to_dict(),
            "renditions": [
                {"name": r.name, "width": r.width, "height": r.height, "kbps": r.rung.bitrate_kbps}
                for r in planned.ladder.video
            ],
        }
        plan = self._plan(planned, encrypted=_plan(ctx).encrypted)  # as PROBE decided
        return AnalysisResult(plan=plan, analysis=details)

    def _analyze(self, ctx: TaskContext) -> AnalysisResult:
        source = self._source(ctx)
        complexity = estimate_complexity(
            source.path, source.info, source.norm, control=self._control(ctx)
        )
        return AnalysisResult(plan=None, analysis={"complexity": asdict(complexity)})

    def _split(self, ctx: TaskContext) -> None:
        source, tier = self._source(ctx), ctx.task.rendition
        chunk = source.chunks[ctx.task.chunk or 0]
        scratch = ctx.workdir / "mezzanine.nut"
        with _damage_located(source.path, "video", chunk.start_s - SEEK_MARGIN_S, chunk.end_s):
            mezzanine = split_chunk(
                source.path,
                source.norm,
                chunk,
                scratch,
                threads=self.encoder.threads,
                size=source.mezzanine_size(_plan(ctx), tier),
                control=self._control(ctx, self._progress(ctx, chunk.duration_s)),
            )
        final = mezzanine_path(self.settings.data_dir, ctx.task.job_id, chunk.index, tier)
        final.parent.mkdir(parents=True, exist_ok=True)
        scratch.replace(final)  # same filesystem: readers see the whole file or none
        record = {"path": str(final), "frames": mezzanine.frames, "bytes": mezzanine.size_bytes}
        ctx.store.put_bytes(ctx.task.output_key, json.dumps(record).encode())

    def _encode(self, ctx: TaskContext) -> None:
        job_id, source = ctx.task.job_id, self._source(ctx)
        chunk = source.chunks[ctx.task.chunk or 0]
        tier = _plan(ctx).tier_of(ctx.task.rendition)
        mezzanine = mezzanine_path(self.settings.data_dir, job_id, chunk.index, tier)
        if not mezzanine.is_file():
            # Scratch wiped (or another host split it): the split's record is stale.
            ctx.store.delete(output_key(job_id, TaskKind.SPLIT, tier, chunk.index))
            raise InputLostError(task_name(TaskKind.SPLIT, tier, chunk.index))
        out = ctx.workdir / "chunk.mp4"
        encode_from_mezzanine(
            mezzanine,
            source.norm,
            chunk,
            source.rendition(ctx.task.rendition),
            out,
            settings=self.encoder,
            control=self._control(ctx, self._progress(ctx, chunk.duration_s)),
        )
        ctx.store.put_file(ctx.task.output_key, out, move=True)

    def _discard(self, ctx: TaskContext) -> None:
        chunk, tier = ctx.task.chunk or 0, ctx.task.rendition
        mezzanine_path(self.settings.data_dir, ctx.task.job_id, chunk, tier).unlink(missing_ok=True)
        ctx.store.put_bytes(ctx.task.output_key, b"{}")

    def _audio(self, ctx: TaskContext) -> None:
        source = self._source(ctx)
        out = ctx.workdir / "audio.mp4"
        with _damage_located(source.path, "audio", 0.0, source.info.duration_s):
            encode_audio(
                source.path,
                source.info,
                source.norm,
                source.audio_rung(ctx.task.rendition),
                out,
                control=self._control(ctx, self._progress(ctx, source.info.duration_s)),
            )
        ctx.store.put_file(ctx.task.output_key, out, move=True)

    def _concat(self, ctx: TaskContext) -> None:
        task = ctx.task
        plan = _plan(ctx)
        parts = [
            ctx.store.fetch(
                output_key(task.job_id, TaskKind.ENCODE, task.rendition, index),
                ctx.workdir / f"{index:05d}.mp4",
            )
            for index in range(plan.chunks)
        ]
        out = ctx.workdir / "joined.mp4"
        concat_chunks(parts, out, control=self._control(ctx))
        ctx.store.put_file(task.output_key, out, move=True)

    def _package(self, ctx: TaskContext) -> None:
        task, plan, source = ctx.task, _plan(ctx), self._source(ctx)
        root = ctx.workdir / "asset"
        renditions = plan.preview if task.rendition == PREVIEW else plan.renditions
        tracks = {name: output_key(task.job_id, TaskKind.CONCAT, name) for name in renditions}
        # The audio renditions the plan encoded: the default, then each of `extra_audio`.
        audio = {r.name: r for r in map(source.audio_rung, [None, *plan.extra_audio])}
        for extra in [None, *plan.extra_audio]:
            tracks[source.audio_rung(extra).name] = output_key(task.job_id, TaskKind.AUDIO, extra)
        cenc = self._cenc(ctx)
        packaged = []
        for index, (name, key) in enumerate(tracks.items()):
            joined = ctx.store.fetch(key, ctx.workdir / "tracks" / f"{name}.mp4")
            if name in audio:
                write_track(root / name, audio[name])  # its language and label, for manifests
            segment_rendition(joined, root / name, control=self._control(ctx), cenc=cenc)
            packaged.append(describe_rendition(root / name))
            ctx.report_progress((index + 1) / (len(tracks) + 1))
        write_manifests(root, packaged, cenc)
        if task.rendition == PREVIEW:
            self._preview_poster(ctx, source, plan, root / POSTER_NAME)
        _upload_tree(ctx.store, root, task.output_key.rsplit("/", 1)[0])

    def _cenc(self, ctx: TaskContext) -> Cenc | None:
        """The content key of the version this task builds, when the job encrypts."""
        if not _plan(ctx).encrypted:
            return None
        return content_key(self.settings, ctx.task.title_id, version_of(ctx))

    def _preview_poster(
        self, ctx: TaskContext, source: SourceMedia, plan: JobPlan, out: Path
    ) -> None:
        """The preview version's poster, so tiles show a frame of the video (not a generated
        background) as soon as it plays; picked from the preview's largest rung, already
        decoded small, so the preview is not held back by decoding the master again. The
        complete version brings its own, full size (THUMBS)."""
        top = source.rendition(plan.preview[-1])
        joined = ctx.workdir / "tracks" / f"{top.name}.mp4"
        norm = replace(source.norm, deinterlace=False, width=top.width, height=top.height)
        make_poster(joined, norm, source.info.duration_s, out, control=self._control(ctx))

    def _quality(self, ctx: TaskContext) -> None:
        """VMAF of the published version, from the job's package (the same segments); the
        report is added to the version, whose playback never waited for it."""
        task, plan, source = ctx.task, _plan(ctx), self._source(ctx)
        root = _download_tree(
            ctx.store, _folder(task.job_id, TaskKind.PACKAGE), ctx.workdir / "asset"
        )
        renditions = [describe_rendition(root / name) for name in plan.renditions]
        out = ctx.workdir / QUALITY_NAME
        try:
            measure_quality(
                source.path,
                source.norm,
                root,
                renditions,
                out_path=out,
                control=self._control(ctx),
                on_progress=ctx.report_progress,
                decryption_key=None if (cenc := self._cenc(ctx)) is None else cenc.key,
            )
        except EncodeFailed as exc:
            # VMAF is a report, not a gate: its failure is a warning, never a failed job.
            log.warning("job %s: VMAF failed, published without it: %s", task.job_id, exc)
            quality_unmeasured(exc.message, out)
        ctx.store.put_file(task.output_key, out, move=True)

    def _thumbs(self, ctx: TaskContext) -> None:
        source = self._source(ctx)
        root = ctx.workdir / "thumbs-root"
        root.mkdir()
        duration = source.info.duration_s
        make_poster(
            source.path,
            source.norm,
            duration,
            root / POSTER_NAME,
            control=self._control(ctx),
        )
        make_trickplay(
            source.path,
            source.norm,
            duration,
            root / _THUMBS,
            # Clips shorter than two intervals would get no thumbnail at all (ffmpeg fails).
            interval_s=min(_TRICKPLAY_INTERVAL_S, max(1.0, duration / 2)),
            control=self._control(ctx),
        )
        _upload_tree(ctx.store, root, _folder(ctx.task.job_id, TaskKind.THUMBS))

    def _publish(self, ctx: TaskContext) -> None:
        cenc = self._cenc(ctx)
        key = None if cenc is None else cenc.key
        publish_asset(ctx, lambda staged, extras: _validate(staged, extras, key))


def _validate(staged: Path, extras: bool, key: bytes | None = None) -> None:
    # Poster, thumbnails and quality.json are required unless the job was told to skip them
    # (and a preview version never has them). An encrypted version is decoded with its key.
    validate_asset(staged, decode=DecodeCheck.SAMPLE, require_extras=extras, decryption_key=key)


def _plan(ctx: TaskContext) -> JobPlan:
    if ctx.task.plan is None:
        raise TaskError(f"{ctx.task.name} ran before the job was planned", retryable=False)
    return ctx.task.plan
