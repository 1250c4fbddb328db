"""A controller process for the ownership tests: a worker pool whose tasks each run a real,
long ffmpeg, so a test can kill the controller with SIGKILL and watch what survives it.

Run as `python -m tests.pipeline.jobs.ownership_fakes DATA_DIR`; it prints `ready` once the
pool runs, then sleeps until killed.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from vodstack.config.settings import PipelineSettings, Settings, load_settings
from vodstack.pipeline.jobs.executor import AnalysisResult, TaskContext, TaskError
from vodstack.pipeline.jobs.pool import WorkerPool
from vodstack.pipeline.media.errors import EncodeCancelled
from vodstack.pipeline.media.ffmpeg import FfmpegRunner

EXECUTOR = "tests.pipeline.jobs.ownership_fakes:FfmpegSleeper"
# Silence paced at real time: ten minutes of a process that costs almost no CPU.
LONG_FFMPEG = ["-re", "-f", "lavfi", "-i", "anullsrc", "-t", "600", "-f", "null", "-"]


class FfmpegSleeper:
    """Every task runs a ten-minute ffmpeg (cancellable, like a real encode)."""

    def __init__(self, settings: Settings) -> None:
        self.runner = FfmpegRunner()

    def run(self, ctx: TaskContext) -> AnalysisResult | None:
        try:
            self.runner.run(LONG_FFMPEG, cancel=ctx.cancel)
        except EncodeCancelled as exc:
            raise TaskError("cancelled") from exc
        raise TaskError("ffmpeg was not supposed to finish", retryable=False)


def controller_settings(data_dir: Path) -> Settings:
    pipeline = PipelineSettings(workers=2, lease_s=3.0, poll_s=0.05)
    return load_settings(data_dir=data_dir, pipeline=pipeline)


def main(data_dir: Path) -> None:
    settings = controller_settings(data_dir)
    pool = WorkerPool(settings, executor_ref=EXECUTOR, size=2)
    pool.start()
    for title in (1, 2):  # two jobs: a PROBE each, so both workers run an ffmpeg
        pool.queue.create_job(title, f"masters/{title}/a.mp4")
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
