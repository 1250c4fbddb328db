"""Live progress of a headless play: where the playhead is, which rendition, how much buffer,
which edge. The player reports one `Progress` after every segment; `progress_line` is how the
CLI shows it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    position_s: float
    duration_s: float
    rendition: str
    buffer_s: float
    #: The edge that served the last segment: its name (`X-Served-By`), else its URL.
    edge: str
    rebuffers: int


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def progress_line(progress: Progress) -> str:
    """`0:12 / 2:00  v720p  buffer 8.0 s  edge edge-eu-1` (and rebuffers once there are any)."""
    line = (
        f"{_clock(progress.position_s)} / {_clock(progress.duration_s)}  "
        f"{progress.rendition}  buffer {progress.buffer_s:.1f} s  edge {progress.edge}"
    )
    return line + (f"  rebuffers {progress.rebuffers}" if progress.rebuffers else "")
