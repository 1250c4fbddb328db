"""PUBLISH: assemble the asset version, validate it, make it appear at once, or not at all.

The staged tree is built in the task's scratch directory from the job's intermediate outputs
(the package, thumbnails and poster), gets `asset.json` (its presence under
`titles/...` is the task's output key), is validated, and is handed to the store's
`publish_dir`, one atomic rename. If any step fails, nothing appears under `titles/`.
The preview pass's PUBLISH does the same with the preview package alone (its renditions and the
audio, no poster, thumbnails or VMAF) under its own version, `dag.preview_version`.
Telling the catalog is not part of this task: its success enters the publication outbox the
pipeline service drains (so a catalog that is down delays availability, never a publish).
`quality.json` is not part of it: the QUALITY task measures the published version afterwards
and adds the report to it (a report, not a gate: dag).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from vodstack.delivery.assets import asset_key_prefix
from vodstack.pipeline.jobs.dag import ASSET_MARKER, PREVIEW, JobPlan, output_key, preview_version
from vodstack.pipeline.jobs.executor import TaskContext, TaskError
from vodstack.pipeline.jobs.states import TaskKind
from vodstack.pipeline.media.subtitle_store import stage_into as stage_subtitles
from vodstack.storage import ObjectExistsError, ObjectStore

# Checks a staged asset version; raises with a list of problems (media.InvalidAsset). The flag
# says whether poster and thumbnails must be there.
AssetValidator = Callable[[Path, bool], None]

_MARKER_NAMES = ("_complete.json",)


def _copy_tree(store: ObjectStore, prefix: str, dest: Path) -> int:
    count = 0
    for key in store.list(prefix + "/"):
        relative = key[len(prefix) + 1 :]
        if relative in _MARKER_NAMES:
            continue
        store.fetch(key, dest / relative)
        count += 1
    return count


def _prefix_of(job_id: int, kind: TaskKind, tier: str | None = None) -> str:
    """The folder of a tree-producing task (its output key is the marker inside it)."""
    return output_key(job_id, kind, tier).rsplit("/", 1)[0]


def version_of(ctx: TaskContext) -> str:
    """The asset version a task's output belongs to (the preview pass has its own)."""
    task = ctx.task
    return preview_version(task.asset_version) if task.rendition == PREVIEW else task.asset_version


def stage_asset(ctx: TaskContext, plan: JobPlan) -> Path:
    """The asset version's tree, assembled under the task's scratch directory."""
    task = ctx.task
    preview = task.rendition == PREVIEW
    staged = ctx.workdir / "asset"
    staged.mkdir()
    package = _prefix_of(task.job_id, TaskKind.PACKAGE, task.rendition)
    if _copy_tree(ctx.store, package, staged) == 0:
        raise TaskError("the package step left no files", retryable=False)
    if plan.thumbs and not preview:
        _copy_tree(ctx.store, _prefix_of(task.job_id, TaskKind.THUMBS), staged)
    # The title's subtitles as they are now; one uploaded later goes into this version directly.
    stage_subtitles(ctx.store, task.title_id, staged)
    manifest = {
        "title_id": task.title_id,
        "asset_version": version_of(ctx),
        "job_id": task.job_id,
        "renditions": plan.preview if preview else plan.renditions,
        "preview": preview,
        "published_at": time.time(),
    }
    (staged / ASSET_MARKER).write_text(json.dumps(manifest, indent=2))
    return staged


def publish_asset(ctx: TaskContext, validate: AssetValidator) -> None:
    """Stage, validate and atomically publish the job's asset version (idempotent)."""
    task = ctx.task
    if task.plan is None:
        raise TaskError("publish ran before the job was planned", retryable=False)
    staged = stage_asset(ctx, task.plan)
    ctx.report_progress(0.3)
    complete = task.rendition != PREVIEW
    validate(staged, complete and task.plan.thumbs)
    ctx.report_progress(0.6)
    try:
        ctx.store.publish_dir(staged, asset_key_prefix(task.title_id, version_of(ctx)))
    except ObjectExistsError as exc:
        if ctx.store.exists(task.output_key):
            return  # an earlier attempt published it and died before recording that
        raise TaskError(f"{exc}, but not by this job", retryable=False) from exc
