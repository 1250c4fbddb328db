"""Host-local scratch the workers of one host share: chunk mezzanines and fetched masters.

A mezzanine is big (a 16 s 1080p chunk is 1.2 GB of raw frames), lives for seconds to minutes
and can always be made again from the master, so it stays out of the object store: no fsync,
no upload, just a file renamed into `data_dir/work/mezzanine/{job}/`. The object store only
records that the split ran (SPLIT's output key); an ENCODE that finds the file gone asks for the
split to run again (`InputLostError`). Whatever a job leaves here (a discard that never ran, a
cancelled job) is removed when the job ends: by the worker that publishes it, or by the pool's
sweep for cancelled and failed jobs.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection
from pathlib import Path

_SCRATCH = "work"
_AREAS = ("mezzanine", "sources")


def mezzanine_path(data_dir: Path, job_id: int, chunk: int, tier: str | None = None) -> Path:
    """A chunk's mezzanine; `tier` names a smaller one (the preview pass's), None full size."""
    name = f"{tier}-{chunk:05d}.nut" if tier else f"{chunk:05d}.nut"
    return data_dir / _SCRATCH / "mezzanine" / str(job_id) / name


def source_cache_dir(data_dir: Path, job_id: int) -> Path:
    """Where a worker keeps its copy of the master when the store has no local path."""
    return data_dir / _SCRATCH / "sources" / str(job_id)


def remove_job_scratch(data_dir: Path, job_id: int) -> None:
    for area in _AREAS:
        shutil.rmtree(data_dir / _SCRATCH / area / str(job_id), ignore_errors=True)


def sweep_scratch(
    data_dir: Path, live_jobs: Collection[int], newest: int | None = None
) -> list[int]:
    """Remove the scratch of every job not in `live_jobs`; returns the job ids swept.

    `newest`: the highest job id the caller knew of when it listed `live_jobs`; a job above it
    was created afterwards and is kept (a Celery worker gets the list with a task, maybe late).
    """
    swept: set[int] = set()
    for area in _AREAS:
        root = data_dir / _SCRATCH / area
        if not root.is_dir():
            continue
        for folder in root.iterdir():
            if not folder.name.isdigit() or (newest is not None and int(folder.name) > newest):
                continue
            if int(folder.name) not in live_jobs:
                shutil.rmtree(folder, ignore_errors=True)
                swept.add(int(folder.name))
    return sorted(swept)
