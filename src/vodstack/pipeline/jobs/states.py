"""Job and task states and kinds: defined with the wire format, re-exported for the domain."""

from __future__ import annotations

from vodstack.contracts.pipeline import JobState, TaskKind, TaskState

__all__ = ["JobState", "TaskKind", "TaskState"]
