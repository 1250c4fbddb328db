"""What the operator wants from a running platform: `data_dir/run/control.json`.

`vodstack scale` writes instance counts here and `vodstack chaos kong` the instances it holds
down; the supervisor reads the file on every tick and reconciles what runs with it. A file
rather than a socket: it works with the supervisor busy or restarting, it is readable by the
platform's owner only (the run directory), and the last wish survives the commands that wrote it.
Writers take an exclusive lock around their read-modify-write, so a scale and a kong never lose
each other's change.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, Field

from vodstack.config import Settings


class Control(BaseModel):
    instances: dict[str, int] = Field(default_factory=dict)
    held_down: list[str] = Field(default_factory=list)  # instance names kept stopped (chaos)


def control_path(settings: Settings) -> Path:
    return settings.data_dir / "run" / "control.json"


def read_control(path: Path) -> Control | None:
    try:
        return Control.model_validate_json(path.read_text())
    except FileNotFoundError:
        return None


def write_control(path: Path, control: Control) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(control.model_dump_json(indent=2))
    tmp.replace(path)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def update_control(path: Path, change: Callable[[Control], Control]) -> Control:
    """Apply `change` to the current wishes under the writers' lock; returns what was written."""
    with _locked(path):
        updated = change(read_control(path) or Control())
        write_control(path, updated)
        return updated
