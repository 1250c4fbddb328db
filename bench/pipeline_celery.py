"""Pipeline wall time on Celery workers against the local worker pool, same title, same number
of worker processes (issue 16, point 9; goal <= 1.05x).

    .venv/bin/python bench/pipeline_celery.py [--seconds 20] [--height 720] [--workers 2]
                                              [--rounds 3] [--workdir DIR]

Contestants, each round in turn (interleaved, so load drifts hit every contestant alike):

- `local pool, S3`: the `WorkerPool` (spawned worker processes) with the object store on
  SeaweedFS: the anchor, like for like (same store, same tasks);
- `celery, S3`: the `CeleryDispatcher` and one `vodstack worker --concurrency N` (prefork)
  on RabbitMQ at 127.0.0.1:5672, its own scratch directory, the same SeaweedFS;
- `local pool, disk` (reference): the embedded default, objects on local disk.

Every run encodes the same synthetic master (testsrc2 + AAC) with `encoder_threads=1`,
without VMAF, thumbnails and the preview pass (the throughput settings of bench/pipeline.py);
the time is job creation -> job succeeded (published). Neither side pins workers to cores
(`pin_workers=False`: Celery's prefork processes are not pinned). Worker start-up is
excluded: workers are started, then warmed up for a few seconds before the job is created.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.celery_workers import (
    BROKER_URL,
    delete_queue,
    new_scratch,
    remove_scratch,
    require_rabbitmq,
    start_worker,
)
from tests.support.seaweedfs import SeaweedFS, start_seaweedfs

from vodstack.config.settings import PipelineSettings, Settings, StorageSettings, load_settings
from vodstack.pipeline.jobs.database import open_database
from vodstack.pipeline.jobs.progress import job_detail
from vodstack.pipeline.jobs.queue import JobQueue
from vodstack.pipeline.jobs.runners import TaskRunner, open_runner
from vodstack.pipeline.jobs.states import JobState
from vodstack.pipeline.media import Pattern, make_synthetic
from vodstack.storage import open_object_store, prepare_object_store

_WARM_UP_S = 4.0


def _settings(
    data_dir: Path, workers: int, storage: StorageSettings, executor: str, queue: str
) -> Settings:
    pipeline = PipelineSettings.model_validate(
        {
            "workers": workers,
            "encoder_threads": 1,
            # Celery's prefork processes are not pinned to cores; neither is the pool here.
            "pin_workers": False,
            "quality_report": False,
            "thumbnails": False,
            "preview_height": 0,
            "poll_s": 0.2,
            "ladder_mode": "fixed",  # the same rungs in every run and executor
            "executor": executor,
            "broker_url": BROKER_URL,
            "celery_queue": queue,
        }
    )
    return load_settings(data_dir=data_dir, pipeline=pipeline, storage=storage)


def _run(settings: Settings, master: Path, runner: TaskRunner) -> float:
    prepare_object_store(settings)
    open_object_store(settings).put_file("masters/1/master.mp4", master)
    engine, sessions = open_database(settings)
    queue = JobQueue(sessions, settings.pipeline)
    runner.start()
    try:
        time.sleep(_WARM_UP_S)
        began = time.monotonic()
        job_id = queue.create_job(1, "masters/1/master.mp4")
        job = job_detail(sessions, job_id)
        while not job.state.terminal:
            time.sleep(0.1)
            job = job_detail(sessions, job_id)
        wall = time.monotonic() - began
    finally:
        runner.stop(grace_s=5)
        engine.dispose()
    if job.state is not JobState.SUCCEEDED:
        raise SystemExit(f"the job failed: {job.error}")
    return wall


def local(seaweed: SeaweedFS | None, workers: int) -> Callable[[Path, Path], float]:
    def run(master: Path, data_dir: Path) -> float:
        storage = seaweed.settings(f"b-{secrets.token_hex(6)}") if seaweed else StorageSettings()
        settings = _settings(data_dir, workers, storage, "local", "unused")
        return _run(settings, master, open_runner(settings))

    return run


def celery(seaweed: SeaweedFS, workers: int) -> Callable[[Path, Path], float]:
    def run(master: Path, data_dir: Path) -> float:
        bucket = f"b-{secrets.token_hex(6)}"
        queue = f"bench-{secrets.token_hex(4)}.pipeline"
        settings = _settings(data_dir, workers, seaweed.settings(bucket), "celery", queue)
        scratch = new_scratch()
        worker = start_worker(
            scratch=scratch, queue=queue, env=seaweed.env(bucket), concurrency=workers
        )
        try:
            return _run(settings, master, open_runner(settings))
        finally:
            worker.stop()
            remove_scratch(scratch)
            delete_queue(queue)

    return run


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "vodbench")
    args = parser.parse_args(argv)
    require_rabbitmq()
    width = args.height * 16 // 9 // 2 * 2
    masters = args.workdir / "masters"
    masters.mkdir(parents=True, exist_ok=True)
    master = masters / f"testsrc2_{width}x{args.height}_{args.seconds:g}s.mp4"
    if not master.exists():
        make_synthetic(
            master, Pattern.TESTSRC2, duration_s=args.seconds, width=width, height=args.height
        )
    runs = args.workdir / "celery-runs"
    shutil.rmtree(runs, ignore_errors=True)
    seaweed = start_seaweedfs(runs / "seaweedfs")
    contestants = {
        "local pool, S3": local(seaweed, args.workers),
        "celery, S3": celery(seaweed, args.workers),
        "local pool, disk": local(None, args.workers),
    }
    walls: dict[str, list[float]] = {name: [] for name in contestants}
    print(f"load average before: {_load()}; {master.name}, {args.workers} worker processes")
    try:
        for index in range(args.rounds):
            for name, run in contestants.items():
                wall = run(master, runs / f"{index}-{name.replace(', ', '-').replace(' ', '_')}")
                walls[name].append(wall)
                print(f"  round {index + 1}: {name:17} {wall:6.1f} s (load {_load()})", flush=True)
    finally:
        seaweed.stop()
    print("\n| contestant | median s | spread (min-max) s | vs local pool, S3 |")
    print("|---|---|---|---|")
    anchor = statistics.median(walls["local pool, S3"])
    for name, values in walls.items():
        median = statistics.median(values)
        print(
            f"| {name} | {median:.1f} | {min(values):.1f}-{max(values):.1f} "
            f"| {median / anchor:.2f}x |"
        )
    ratios = [c / a for c, a in zip(walls["celery, S3"], walls["local pool, S3"], strict=True)]
    print(
        f"\ncelery / local pool (S3), per round: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {statistics.median(ratios):.2f}x (goal <= 1.05)"
    )
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
