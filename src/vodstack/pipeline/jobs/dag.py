"""The job's DAG, as pure data: which tasks exist, what each waits for, where each writes.

A job starts as PROBE -> ANALYZE. ANALYZE's result (a `JobPlan`: renditions low to high, chunk
count, audio or not) expands it:

    ANALYZE ──► ENCODE(r, c) for every rendition r x chunk c ──► CONCAT(r) ─┐
       ├──────► AUDIO ─────────────────────────────────────────────► PACKAGE ──► QUALITY ─┐
       └──────► THUMBS ─────────────────────────────────────────────────────────────► PUBLISH

Output keys are deterministic (a function of job, kind, rendition, chunk), which is what makes a
task idempotent: a task whose output already exists is done, whoever wrote it.
Priorities: lower runs first; the lowest rendition's encodes come first so a title could be
watched at low quality as early as possible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from vodstack.pipeline.jobs.states import TaskKind
from vodstack.pipeline.storage.keys import asset_prefix, work_prefix

ASSET_MARKER = "asset.json"  # written last into a staged asset version; its presence = published


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
        case TaskKind.ENCODE:
            return f"{work}/chunks/{rendition}/{chunk:05d}.mp4"
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
    """The tasks ANALYZE's plan adds: encodes, audio, concat, package, quality, thumbs, publish."""
    analyze = task_name(TaskKind.ANALYZE)
    specs: list[TaskSpec] = []
    if plan.has_audio:
        specs.append(_spec(job_id, TaskKind.AUDIO, 5, analyze))
    concats: list[str] = []
    for rank, rendition in enumerate(plan.renditions):
        base = 100 + 10 * rank
        encodes = [
            _spec(job_id, TaskKind.ENCODE, base, analyze, rendition=rendition, chunk=chunk)
            for chunk in range(plan.chunks)
        ]
        # Just ahead of this rung's encodes, so a finished rung is joined before the next rung.
        concat = _spec(
            job_id, TaskKind.CONCAT, base - 1, *(e.name for e in encodes), rendition=rendition
        )
        specs += [*encodes, concat]
        concats.append(concat.name)
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
