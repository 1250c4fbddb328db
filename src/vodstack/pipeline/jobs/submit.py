"""Submitting a master: store the file under its master key, then create its encoding job.

The one ingest seam. The upload route calls it when a resumable upload completes; the CLI's
offline mode (`vodstack ingest` with the platform down) calls it directly. Validation happens
before (each caller reports problems its own way); this is only the "store, then queue" step, so
the two ways in cannot drift apart.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.media.errors import EncodeFailed
from vodstack.pipeline.media.remux import REMUX_EXTENSION, needs_remux, remux_to_matroska
from vodstack.storage import ObjectStore, master_key

log = logging.getLogger(__name__)

_EXTENSION = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True, slots=True)
class SubmittedMaster:
    key: str
    job_id: int


def safe_extension(filename: str) -> str:
    """The file's extension if it is a plain one (kept on the master key), else none."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix
    return suffix.lower() if _EXTENSION.match(suffix) else ""


def submit_master(
    store: ObjectStore,
    queue: JobQueue,
    title_id: int,
    source: Path,
    *,
    name: str,
    filename: str,
    move: bool,
) -> SubmittedMaster:
    """Store `source` as title `title_id`'s master `name` and create its job.

    `filename` is the operator's name for the file (its extension is kept); `move=True` lets the
    store consume `source` (a finished upload's part file) instead of copying it. A master
    without an index (MPEG-TS, MPEG-PS) is stored remuxed to Matroska (media.remux).
    """
    if needs_remux(source):
        with tempfile.TemporaryDirectory(dir=source.parent if move else None) as scratch:
            remuxed = _remuxed(source, Path(scratch) / f"{name}{REMUX_EXTENSION}")
            if remuxed is not None:
                key = master_key(title_id, name, REMUX_EXTENSION)
                store.put_file(key, remuxed, move=True)
                if move:
                    source.unlink()
                return SubmittedMaster(key=key, job_id=queue.create_job(title_id, key))
    key = master_key(title_id, name, safe_extension(filename))
    store.put_file(key, source, move=move)
    return SubmittedMaster(key=key, job_id=queue.create_job(title_id, key))


def _remuxed(source: Path, target: Path) -> Path | None:
    """`source` remuxed to `target`, or None (logged) when ffmpeg cannot: it is kept as is."""
    try:
        return remux_to_matroska(source, target)
    except EncodeFailed as exc:
        log.warning("cannot remux %s to Matroska, storing it as is: %s", source.name, exc)
        return None
