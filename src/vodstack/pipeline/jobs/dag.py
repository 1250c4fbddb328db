"""The job's DAG, as pure data: which tasks exist, what each waits for, where each writes.

A job starts as PROBE. PROBE validates the master and plans it (a `JobPlan`: renditions low to
high, chunk count, audio or not, the preview renditions); its success expands the DAG into two
passes over the chunks:

    PROBE ─► SPLIT(preview, c) ─► ENCODE(p, c), preview rungs p ─► DISCARD(preview, c)
      │                             └─► CONCAT(p) ─► PACKAGE(preview) ─► PUBLISH(preview)
      ├─► SPLIT(c) ─► ENCODE(r, c), the other rungs r ─► DISCARD(c)
      │                 └─► CONCAT(r) ─┐
      ├─► AUDIO ───────────────────────┴─ + every CONCAT ─► PACKAGE ─┐
      ├─► ANALYZE ───────────────────────────────────────────────────┤
      └─► THUMBS ────────────────────────────────────────────────────┴─► PUBLISH ─► QUALITY

Everything the plan needs (duration, frame grid, chunking, ladder) comes from the probe, so the
encodes start as soon as the master is validated. With per-title ladders
(`pipeline.ladder_mode = "per-title"`, media.per_title) the ladder comes from sample encodes
instead: PROBE's plan is `ladder_pending` and expands into LADDER alone, and LADDER's plan, with
the rungs it chose, expands into the DAG drawn above (PROBE ─► LADDER ─► ...). The job's
queue expands on either plan the same way (jobs.queue). ANALYZE, the complexity estimate stored with
the job for operators (and what a per-title ladder would scale its bitrates by), is a side
branch that only the final PUBLISH waits for: on the critical path it left every other worker
idle for its few seconds at the start of each job (3.6-5 s of a 60 s 1080p job's 85 s on two
workers). A per-title ladder would have to plan after it again.

AUDIO(a): one task per audio rendition, the default one (no rendition name) and one for each of
the plan's `extra_audio` (the source's other languages, 5.1 beside stereo); both packages need
them all.

The preview pass makes the title watchable early: its SPLIT decodes a chunk once, scaled to the
largest preview rung (640x360 by default, a ninth of a 1080p frame), its rungs encode from that,
and once every chunk is done PUBLISH(preview) publishes them with the audio as an asset version
of its own (`preview_version`), typically at a quarter of the job's time. The main pass then
splits each chunk at full size for the remaining rungs. The preview costs one more decode of the
master; the main pass reads it back for fewer rungs (docs/pipeline.md has the figures). With no
preview rungs (`JobPlan.preview` empty) there is only the main pass.

SPLIT decodes a chunk of the master once into a raw mezzanine (host-local scratch, see
jobs.scratch); every ENCODE of that chunk and tier reads it; DISCARD deletes it once they all
succeeded. The queue admits a new SPLIT only while fewer than `split_window` mezzanines are split
but not yet discarded, so scratch disk is bounded whatever the title's length. The tier of a
SPLIT, DISCARD, PACKAGE or PUBLISH is in its `rendition` field: `PREVIEW`, or None for the main
pass.

Output keys are deterministic (a function of job, kind, rendition, chunk), which is what makes a
task idempotent: a task whose output already exists is done, whoever wrote it. SPLIT's output key
is a small record that the split ran; the mezzanine itself is a cache an ENCODE that finds it
missing has regenerated (`InputLostError`).

QUALITY (VMAF) comes after the complete PUBLISH: it is a report, not a gate, and it took
minutes on a busy machine while the ladder waited for it. It writes `quality.json` into the
published version when it is done, and its success ends the job (`final_task`).

Priorities (lower runs first): DISCARD (frees disk), the audio, the whole preview pass and its
publish, then the main pass, then QUALITY. The priorities fall in three bands (`band_of`):
the queue serves a band across every job before the next one, so every queued title's preview
comes before any job's main pass, and every job's ladder before any VMAF report.
Within a pass, chunk by chunk: a chunk's split, then its encodes
largest rung first. Chunk order frees window slots soonest and splits each chunk just in time;
largest-first within a chunk is the longest-processing-time rule, so the workers finish the last
chunk together instead of one encoding a 1080p chunk while the others idle. ANALYZE and THUMBS
fill that tail; packaging comes last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from vodstack.delivery.assets import asset_key_prefix
from vodstack.delivery.quality import QUALITY_NAME
from vodstack.pipeline.jobs.states import TaskKind
from vodstack.storage.keys import work_prefix

ASSET_MARKER = "asset.json"  # written last into a staged asset version; its presence = published
PREVIEW = "preview"  # the tier of the preview pass's SPLIT, DISCARD, PACKAGE and PUBLISH

DISCARD_PRIORITY = 2  # first: frees a window slot and its disk
_LADDER_PRIORITY = 4  # per-title analysis: every other task of the job waits for it
_AUDIO_PRIORITY = 5
_FIRST_PASS_PRIORITY = 10  # then the passes, one after the other, in the order they are made
MAIN_PASS_PRIORITY = 100_000_000  # band 1 starts here: the main pass (no job has 30M chunks)
_LATE = 1_000_000_000  # after every encode, however many chunks: thumbs, package, ...
AFTER_PUBLISH_PRIORITY = 2_000_000_000  # band 2: reports on a published version (VMAF)


class Band(IntEnum):
    """The scheduling bands: the queue serves a band across every job before the next one."""

    PREVIEW = 0  # probe, audio, discards and the preview pass: a title becomes watchable
    LADDER = 1  # the main pass up to the complete publish
    REPORTS = 2  # after the publish: VMAF


def band_of(priority: int) -> Band:
    """The band of a task from its priority (the bands are priority ranges)."""
    if priority < MAIN_PASS_PRIORITY:
        return Band.PREVIEW
    return Band.LADDER if priority < AFTER_PUBLISH_PRIORITY else Band.REPORTS


def preview_version(asset_version: str) -> str:
    """The asset version the preview pass publishes, next to the job's complete one."""
    return f"{asset_version}-{PREVIEW}"


class JobPlan(BaseModel):
    """What PROBE planned, reduced to what the DAG needs."""

    renditions: list[str] = Field(min_length=1)  # ordered low to high
    chunks: int = Field(ge=1)
    has_audio: bool = True
    quality: bool = True
    thumbs: bool = True
    # Segments encrypted with the version's content key (pipeline.encrypt when planned).
    encrypted: bool = False
    # The lowest renditions, published first as a preview version; empty = no preview pass.
    preview: list[str] = Field(default_factory=list)
    # Audio renditions beyond the default one (other languages, 5.1): an AUDIO task each.
    extra_audio: list[str] = Field(default_factory=list)
    # PROBE's plan when the ladder is chosen per title: the DAG is only LADDER, whose plan (the
    # chosen rungs) expands the rest; `renditions` are then the fixed ladder's, for display.
    ladder_pending: bool = False

    @model_validator(mode="after")
    def _preview_is_a_proper_low_prefix(self) -> JobPlan:
        if self.preview and (
            len(self.preview) >= len(self.renditions)
            or self.preview != self.renditions[: len(self.preview)]
        ):
            raise ValueError("preview renditions must be the lowest, and not all, renditions")
        return self

    @property
    def main(self) -> list[str]:
        """The renditions of the main pass (after the preview's), low to high."""
        return self.renditions[len(self.preview) :]

    def tier_of(self, rendition: str | None) -> str | None:
        """The mezzanine tier an ENCODE of `rendition` reads: PREVIEW or None (full size)."""
        return PREVIEW if rendition in self.preview else None


@dataclass(frozen=True)
class TaskSpec:
    name: str
    kind: TaskKind
    priority: int
    output_key: str
    rendition: str | None = None
    chunk: int | None = None
    deps: tuple[str, ...] = field(default_factory=tuple)


def task_name(kind: TaskKind, rendition: str | None = None, chunk: int | None = None) -> str:
    parts = [kind.value]
    if rendition is not None:
        parts.append(rendition)
    if chunk is not None:
        parts.append(f"{chunk:05d}")
    return ":".join(parts)


# One flat case per task kind: a lookup table, not branching logic.
def output_key(  # noqa: C901
    job_id: int,
    kind: TaskKind,
    rendition: str | None = None,
    chunk: int | None = None,
    *,
    title_id: int | None = None,
    asset_version: str | None = None,
) -> str:
    """Where a task's output lives. Trees (package, thumbs) are named by a completion marker.

    For SPLIT, DISCARD, PACKAGE and PUBLISH `rendition` is the tier (PREVIEW or None). The trees
    and `quality.json` hold paths relative to the asset version's root.
    """
    work = work_prefix(job_id)
    tier = f"{rendition}/" if rendition is not None else ""
    match kind:
        case TaskKind.PROBE:
            return f"{work}/probe.json"
        case TaskKind.ANALYZE:
            return f"{work}/analysis.json"
        case TaskKind.LADDER:
            return f"{work}/ladder.json"
        case TaskKind.SPLIT:
            return f"{work}/mezzanine/{tier}{chunk:05d}.json"
        case TaskKind.ENCODE:
            return f"{work}/chunks/{rendition}/{chunk:05d}.mp4"
        case TaskKind.DISCARD:
            return f"{work}/mezzanine/{tier}{chunk:05d}.discarded"
        case TaskKind.AUDIO:
            return f"{work}/audio/{rendition}.mp4" if rendition else f"{work}/audio.mp4"
        case TaskKind.CONCAT:
            return f"{work}/renditions/{rendition}.mp4"
        case TaskKind.PACKAGE:
            return f"{work}/{tier}package/_complete.json"
        case TaskKind.QUALITY:
            # Written into the published version: its presence there is the report's arrival.
            if title_id is None or asset_version is None:
                raise ValueError("quality needs the title id and asset version")
            return f"{asset_key_prefix(title_id, asset_version)}/{QUALITY_NAME}"
        case TaskKind.THUMBS:
            return f"{work}/thumbs/_complete.json"
        case TaskKind.PUBLISH:
            if title_id is None or asset_version is None:
                raise ValueError("publish needs the title id and asset version")
            version = preview_version(asset_version) if rendition == PREVIEW else asset_version
            return f"{asset_key_prefix(title_id, version)}/{ASSET_MARKER}"
    raise ValueError(f"unknown task kind {kind}")  # pragma: no cover


def _spec(job_id: int, kind: TaskKind, priority: int, *deps: str, **where: Any) -> TaskSpec:
    rendition = where.pop("rendition", None)
    chunk = where.pop("chunk", None)
    return TaskSpec(
        name=task_name(kind, rendition, chunk),
        kind=kind,
        priority=priority,
        output_key=output_key(job_id, kind, rendition, chunk, **where),
        rendition=rendition,
        chunk=chunk,
        deps=tuple(deps),
    )


def initial_tasks(job_id: int) -> list[TaskSpec]:
    return [_spec(job_id, TaskKind.PROBE, 0)]


def _chunk_pass(
    job_id: int, plan: JobPlan, tier: str | None, rungs: list[str], first: int
) -> tuple[list[TaskSpec], list[str], int]:
    """One pass over the chunks for `rungs`, with priorities from `first` on: per chunk its
    split, then its encodes largest rung first, then the concats. Returns the specs, the concat
    names and the next free priority.

    The split of chunk c+1 comes right after the encodes of chunk c, so a worker splits the next
    chunk when the current one's encodes are all taken: splits spread out over the pass instead
    of running side by side (two raw 1080p writes at once ran at half speed each).
    """
    probe = task_name(TaskKind.PROBE)
    specs: list[TaskSpec] = []
    encodes: dict[str, list[str]] = {rung: [] for rung in rungs}
    priority = first
    for chunk in range(plan.chunks):
        split = _spec(job_id, TaskKind.SPLIT, priority, probe, rendition=tier, chunk=chunk)
        specs.append(split)
        priority += 1
        for rung in reversed(rungs):  # the longest task first
            encode = _spec(
                job_id, TaskKind.ENCODE, priority, split.name, rendition=rung, chunk=chunk
            )
            specs.append(encode)
            encodes[rung].append(encode.name)
            priority += 1
        of_chunk = (task_name(TaskKind.ENCODE, rung, chunk) for rung in rungs)
        discard = _spec(
            job_id, TaskKind.DISCARD, DISCARD_PRIORITY, *of_chunk, rendition=tier, chunk=chunk
        )
        specs.append(discard)
    concats = []
    for rung in rungs:
        concats.append(_spec(job_id, TaskKind.CONCAT, priority, *encodes[rung], rendition=rung))
        priority += 1
    return specs + concats, [c.name for c in concats], priority


def expanded_tasks(job_id: int, title_id: int, asset_version: str, plan: JobPlan) -> list[TaskSpec]:
    """The tasks PROBE's plan adds: the preview pass and its publish, the main pass, audio,
    analysis, package, quality, thumbs, publish."""
    probe = task_name(TaskKind.PROBE)
    if plan.ladder_pending:
        return [_spec(job_id, TaskKind.LADDER, _LADDER_PRIORITY, probe)]
    version = {"title_id": title_id, "asset_version": asset_version}
    specs: list[TaskSpec] = []
    audio = [task_name(TaskKind.AUDIO)] if plan.has_audio else []
    if plan.has_audio:
        specs.append(_spec(job_id, TaskKind.AUDIO, _AUDIO_PRIORITY, probe))
        for name in plan.extra_audio:  # every language is in the preview too
            extra = _spec(job_id, TaskKind.AUDIO, _AUDIO_PRIORITY, probe, rendition=name)
            specs.append(extra)
            audio.append(extra.name)
    concats: list[str] = []
    priority = _FIRST_PASS_PRIORITY
    if plan.preview:
        preview_specs, preview_concats, priority = _chunk_pass(
            job_id, plan, PREVIEW, plan.preview, priority
        )
        package = _spec(
            job_id, TaskKind.PACKAGE, priority, *preview_concats, *audio, rendition=PREVIEW
        )
        publish = _spec(
            job_id, TaskKind.PUBLISH, priority + 1, package.name, rendition=PREVIEW, **version
        )
        specs += [*preview_specs, package, publish]
        concats += preview_concats
    main_specs, main_concats, _ = _chunk_pass(job_id, plan, None, plan.main, MAIN_PASS_PRIORITY)
    specs += main_specs
    concats += main_concats
    package = _spec(job_id, TaskKind.PACKAGE, _LATE + 200, *concats, *audio)
    analyze = _spec(job_id, TaskKind.ANALYZE, _LATE + 50, probe)  # off the critical path
    specs += [package, analyze]
    publish_deps = [package.name, analyze.name]
    if plan.thumbs:
        # Ready from the start but last in line before packaging: it fills the main pass's tail.
        thumbs = _spec(job_id, TaskKind.THUMBS, _LATE + 100, probe)
        specs.append(thumbs)
        publish_deps.append(thumbs.name)
    publish = _spec(job_id, TaskKind.PUBLISH, _LATE + 400, *publish_deps, **version)
    specs.append(publish)
    if plan.quality:
        # VMAF reads the packaged segments and reports on the published version.
        specs.append(
            _spec(job_id, TaskKind.QUALITY, AFTER_PUBLISH_PRIORITY, publish.name, **version)
        )
    return specs


def final_task(plan: JobPlan) -> str:
    """The task whose success ends the job: the VMAF report when there is one, else the
    complete publish."""
    return task_name(TaskKind.QUALITY) if plan.quality else task_name(TaskKind.PUBLISH)
