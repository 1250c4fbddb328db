"""The job's DAG, as pure data: which tasks exist, what each waits for, where each writes.

A job starts as PROBE -> ANALYZE. ANALYZE's result (a `JobPlan`: renditions low to high, chunk
count, audio or not) expands it:

    ANALYZE ─► SPLIT(c) ─► ENCODE(r, c), every rendition r ─► DISCARD(c)
       │                      └─► CONCAT(r), once every chunk of r is encoded ─┐
       ├─► AUDIO ───────────────────────────────────────────────────► PACKAGE ─► QUALITY ─┐
       └─► THUMBS ─────────────────────────────────────────────────────────────────► PUBLISH

SPLIT decodes a chunk of the master once into a raw mezzanine (host-local scratch, see
jobs.scratch); every ENCODE of that chunk reads it; DISCARD deletes it once they all succeeded.
The queue admits a new SPLIT only while fewer than `split_window` chunks are split but not yet
discarded, so scratch disk is bounded whatever the title's length.

Output keys are deterministic (a function of job, kind, rendition, chunk), which is what makes a
task idempotent: a task whose output already exists is done, whoever wrote it. SPLIT's output key
is a small record that the split ran; the mezzanine itself is a cache an ENCODE that finds it
missing has regenerated (`InputLostError`).
Priorities (lower runs first): DISCARD (frees disk), SPLIT (fills the window), then encodes by
rung, lowest first, so within the window of open chunks low renditions are done first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from vodstack.pipeline.jobs.states import TaskKind
from vodstack.pipeline.storage.keys import asset_prefix, work_prefix

ASSET_MARKER = "asset.json"  # written last into a staged asset version; its presence = published
DISCARD_PRIORITY = 2  # first: frees a window slot and its disk
SPLIT_PRIORITY = 50  # after the audio, before every encode: keeps the window full


class JobPlan(BaseModel):
    """What ANALYZE decided, reduced to what the DAG needs."""

    renditions: list[str] = Field(min_length=1)  # ordered low to high
    chunks: int = Field(ge=1)
    has_audio: bool = True
    quality: bool = True
    thumbs: bool = True


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


def output_key(
    job_id: int,
    kind: TaskKind,
    rendition: str | None = None,
    chunk: int | None = None,
    *,
    title_id: int | None = None,
    asset_version: str | None = None,
) -> str:
    """Where a task's output lives. Trees (package, thumbs) are named by a completion marker.

    The trees and `quality.json` hold paths relative to the asset version's root.
    """
    work = work_prefix(job_id)
    match kind:
        case TaskKind.PROBE:
            return f"{work}/probe.json"
        case TaskKind.ANALYZE:
            return f"{work}/analysis.json"
        case TaskKind.SPLIT:
            return f"{work}/mezzanine/{chunk:05d}.json"
        case TaskKind.ENCODE:
            return f"{work}/chunks/{rendition}/{chunk:05d}.mp4"
        case TaskKind.DISCARD:
            return f"{work}/mezzanine/{chunk:05d}.discarded"
        case TaskKind.AUDIO:
            return f"{work}/audio.mp4"
        case TaskKind.CONCAT:
            return f"{work}/renditions/{rendition}.mp4"
        case TaskKind.PACKAGE:
            return f"{work}/package/_complete.json"
        case TaskKind.QUALITY:
            return f"{work}/quality.json"
        case TaskKind.THUMBS:
            return f"{work}/thumbs/_complete.json"
        case TaskKind.PUBLISH:
            if title_id is None or asset_version is None:
                raise ValueError("publish needs the title id and asset version")
            return f"{asset_prefix(title_id, asset_version)}/{ASSET_MARKER}"
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
    probe = _spec(job_id, TaskKind.PROBE, 0)
    return [probe, _spec(job_id, TaskKind.ANALYZE, 1, probe.name)]


def expanded_tasks(job_id: int, title_id: int, asset_version: str, plan: JobPlan) -> list[TaskSpec]:
    """The tasks ANALYZE's plan adds: splits, encodes, discards, audio, concat, package, quality,
    thumbs, publish."""
    analyze = task_name(TaskKind.ANALYZE)
    specs: list[TaskSpec] = []
    if plan.has_audio:
        specs.append(_spec(job_id, TaskKind.AUDIO, 5, analyze))
    splits = [
        _spec(job_id, TaskKind.SPLIT, SPLIT_PRIORITY, analyze, chunk=chunk)
        for chunk in range(plan.chunks)
    ]
    specs += splits
    concats: list[str] = []
    for rank, rendition in enumerate(plan.renditions):
        base = 100 + 10 * rank
        encodes = [
            _spec(job_id, TaskKind.ENCODE, base, split.name, rendition=rendition, chunk=chunk)
            for chunk, split in enumerate(splits)
        ]
        # Just ahead of this rung's encodes, so a finished rung is joined before the next rung.
        concat = _spec(
            job_id, TaskKind.CONCAT, base - 1, *(e.name for e in encodes), rendition=rendition
        )
        specs += [*encodes, concat]
        concats.append(concat.name)
    for chunk in range(plan.chunks):
        encodes_of_chunk = (task_name(TaskKind.ENCODE, r, chunk) for r in plan.renditions)
        specs.append(
            _spec(job_id, TaskKind.DISCARD, DISCARD_PRIORITY, *encodes_of_chunk, chunk=chunk)
        )
    package_deps = [*concats, *([task_name(TaskKind.AUDIO)] if plan.has_audio else [])]
    package = _spec(job_id, TaskKind.PACKAGE, 700, *package_deps)
    specs.append(package)
    publish_deps = [package.name]
    if plan.quality:
        # VMAF reads the packaged segments, so it follows packaging.
        quality = _spec(job_id, TaskKind.QUALITY, 800, package.name)
        specs.append(quality)
        publish_deps.append(quality.name)
    if plan.thumbs:
        thumbs = _spec(job_id, TaskKind.THUMBS, 500, analyze)
        specs.append(thumbs)
        publish_deps.append(thumbs.name)
    specs.append(
        _spec(
            job_id,
            TaskKind.PUBLISH,
            900,
            *publish_deps,
            title_id=title_id,
            asset_version=asset_version,
        )
    )
    return specs
