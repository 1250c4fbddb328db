"""What the demo media step is doing before its jobs exist: a small status file.

`publish_demo_media` runs in `vodstack up` and synthesizes each title's master (seconds of
ffmpeg per title) before uploading it; until the first upload completes the pipeline has no
job to show. The step writes where it is to `data_dir/run/demo-media.json` and `vodstack jobs`
prints it above the jobs table, so a new user sees the masters being made.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, ValidationError

from vodstack.config import Settings

STATUS_FILE = "demo-media.json"


class DemoPreparation(BaseModel):
    total: int  # titles that needed media when the step started
    uploaded: int = 0  # masters made and uploaded (each one a job)
    current: str | None = None  # the title whose master is being made
    started_at: float
    updated_at: float
    finished: bool = False

    def line(self) -> str:
        """One line for people: what the step is doing now."""
        if self.finished:
            return f"demo media: all {self.total} masters made and uploaded"
        doing = f"making the master of {self.current!r}" if self.current else "starting"
        return f"demo media: {doing} ({self.uploaded} of {self.total} uploaded)"


def status_path(settings: Settings) -> Path:
    return settings.data_dir / "run" / STATUS_FILE


def write_preparation(settings: Settings, state: DemoPreparation) -> None:
    path = status_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(state.model_dump_json())
    partial.replace(path)  # readers see a whole file or the previous one


def read_preparation(settings: Settings) -> DemoPreparation | None:
    """The last state written, or None when no demo media step ever ran here."""
    try:
        return DemoPreparation.model_validate_json(status_path(settings).read_text())
    except (OSError, ValidationError):
        return None


def started(total: int) -> DemoPreparation:
    now = time.time()
    return DemoPreparation(total=total, started_at=now, updated_at=now)
