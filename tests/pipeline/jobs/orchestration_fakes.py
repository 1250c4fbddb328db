"""A fake task executor: the DAG's behaviour does not depend on what tasks do.

Workers may run in spawned processes, so the fake is configured through a JSON file in the data
dir (`fake.json`) and records every real execution in `executions.log` (one line each), which
is what the crash-resume tests count.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from vodstack.config.settings import Settings
from vodstack.pipeline.jobs.dag import JobPlan, output_key, task_name
from vodstack.pipeline.jobs.executor import (
    AnalysisResult,
    InputLostError,
    TaskCancelledError,
    TaskContext,
    TaskError,
)
from vodstack.pipeline.jobs.publish import publish_asset
from vodstack.pipeline.jobs.states import TaskKind
from vodstack.pipeline.jobs.worker import Worker

CONFIG = "fake.json"
LOG = "executions.log"


def configure(data_dir: Path, **options: Any) -> None:
    """Options: renditions, chunks, has_audio, preview [renditions], sleep_s, fail {task name:
    times}, fatal [names], lost {task name: times} (the task finds its split's mezzanine gone)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / CONFIG).write_text(json.dumps(options))


def executions(data_dir: Path) -> list[str]:
    path = data_dir / LOG
    return path.read_text().splitlines() if path.exists() else []


class FakeExecutor:
    def __init__(self, settings: Settings) -> None:
        self.data_dir = settings.data_dir
        self.options: dict[str, Any] = {}

    def _load(self) -> None:
        path = self.data_dir / CONFIG
        self.options = json.loads(path.read_text()) if path.exists() else {}

    def _record(self, name: str, job_id: int) -> int:
        # O_APPEND writes of one short line are atomic between processes.
        with (self.data_dir / LOG).open("a") as log:
            log.write(f"{name} {os.getpid()} {job_id}\n")
        return sum(1 for line in executions(self.data_dir) if line.split()[0] == name)

    def _sleep(self, ctx: TaskContext) -> None:
        total = float(self.options.get("sleep_s", 0.0))
        if ctx.task.kind is not TaskKind.ENCODE:
            total = min(total, 0.05)
        steps = 10
        for step in range(steps):
            if ctx.cancel.wait(total / steps):
                raise TaskCancelledError(ctx.task.name)
            ctx.report_progress((step + 1) / steps)

    def run(self, ctx: TaskContext) -> AnalysisResult | None:
        task = ctx.task
        self._load()
        run_number = self._record(task.name, task.job_id)
        self._sleep(ctx)
        if task.name in self.options.get("fatal", []):
            raise TaskError(f"{task.name}: the source is broken", retryable=False)
        if run_number <= int(self.options.get("lost", {}).get(task.name, 0)):
            tier = task.plan.tier_of(task.rendition) if task.plan else None
            ctx.store.delete(output_key(task.job_id, TaskKind.SPLIT, tier, task.chunk))
            raise InputLostError(task_name(TaskKind.SPLIT, tier, task.chunk))
        if run_number <= int(self.options.get("fail", {}).get(task.name, 0)):
            raise TaskError(f"{task.name}: transient failure #{run_number}")
        if task.kind is TaskKind.ANALYZE:
            return AnalysisResult(plan=None, analysis={"complexity": {"proxy_kbps": 100.0}})
        if task.kind is TaskKind.PROBE:
            plan = JobPlan(
                renditions=self.options.get("renditions", ["240p", "360p"]),
                chunks=int(self.options.get("chunks", 3)),
                has_audio=bool(self.options.get("has_audio", True)),
                preview=self.options.get("preview", []),
            )
            return AnalysisResult(plan=plan, analysis={"duration_s": 12.0})
        if task.kind is TaskKind.PACKAGE:
            prefix = task.output_key.rsplit("/", 1)[0]
            ctx.store.put_bytes(f"{prefix}/master.m3u8", b"#EXTM3U\n")
        if task.kind is TaskKind.THUMBS:
            prefix = task.output_key.rsplit("/", 1)[0]
            ctx.store.put_bytes(f"{prefix}/poster.jpg", b"jpeg")
            ctx.store.put_bytes(f"{prefix}/thumbs/sprite_001.jpg", b"jpeg")
        if task.kind is TaskKind.PUBLISH:
            publish_asset(ctx, lambda staged, extras: None)
            return None
        body = {"vmaf": 95.0} if task.kind is TaskKind.QUALITY else {"task": task.name}
        ctx.store.put_bytes(task.output_key, json.dumps(body).encode())
        return None


def executed_by_job(data_dir: Path) -> list[tuple[int, str]]:
    """(job id, task name) of every execution, in order."""
    return [(int(line.split()[2]), line.split()[0]) for line in executions(data_dir)]


def drain(worker: Worker, limit: int = 500) -> int:
    """Run tasks in this process until none is ready; returns how many ran."""
    count = 0
    while worker.run_once():
        count += 1
        assert count < limit, "the DAG never drained"
    return count
