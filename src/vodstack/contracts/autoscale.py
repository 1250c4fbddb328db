"""The autoscaler's decision log: one JSON line per service per round, in `run/autoscale/`.

The autoscaler (supervisor.autoscale) writes it; `vodstack status` and the gateway's admin page
(/admin/autoscaler) read it. A file, like `status.json`, because it must be readable while the
autoscaler restarts and needs no service of its own to serve it. It is rotated at
`MAX_LOG_BYTES` (one previous file kept), so it never fills the disk.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

MAX_LOG_BYTES = 2 * 1024 * 1024


class MetricVerdict(BaseModel):
    metric: str
    observed: float = Field(description="Per-instance average")
    target: float
    ratio: float
    desired: int


class Decision(BaseModel):
    at: float = Field(description="Wall clock, epoch seconds")
    service: str
    action: str = Field(description="scale_up, scale_down or hold")
    current: int = Field(description="Instances serving (starting ones included)")
    recommended: int = Field(description="What the metrics ask for, within min/max")
    desired: int = Field(description="What runs next, after the stabilization windows")
    min: int
    max: int
    reason: str
    metrics: list[MetricVerdict] = Field(default_factory=list)
    # Per instance: concurrency, cpu, latency_s, requests_per_s, in_flight (None: no reading).
    instances: dict[str, dict[str, float | None] | None] = Field(default_factory=dict)
    acted: bool = Field(False, description="Whether control.json was changed")


def decisions_path(run_dir: Path) -> Path:
    return run_dir / "autoscale" / "decisions.jsonl"


def append_decision(run_dir: Path, decision: Decision) -> None:
    path = decisions_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if path.stat().st_size > MAX_LOG_BYTES:
            path.replace(path.with_suffix(".jsonl.1"))
    except FileNotFoundError:
        pass
    with path.open("a") as log:
        log.write(decision.model_dump_json() + "\n")


def read_decisions(run_dir: Path, *, last: int = 50, only_changes: bool = False) -> list[Decision]:
    """The newest `last` decisions, oldest first (with `only_changes`, scale-ups and -downs)."""
    kept: deque[Decision] = deque(maxlen=last)
    path = decisions_path(run_dir)
    for source in (path.with_suffix(".jsonl.1"), path):
        try:
            lines = source.read_text().splitlines()
        except FileNotFoundError:
            continue
        if not only_changes:
            lines = lines[-last:]  # parse only what can be kept
        for line in lines:
            try:
                decision = Decision.model_validate(json.loads(line))
            except (ValueError, ValidationError):
                continue  # a line cut short by a crash mid-write
            if not only_changes or decision.action != "hold":
                kept.append(decision)
    return list(kept)


def latest_per_service(decisions: list[Decision]) -> dict[str, Decision]:
    latest: dict[str, Decision] = {}
    for decision in decisions:
        latest[decision.service] = decision
    return latest
