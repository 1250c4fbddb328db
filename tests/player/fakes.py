"""Synthetic traces and videos for the player tests (deterministic, tiny)."""

from __future__ import annotations

from pathlib import Path

from vodstack.player.traces import NetworkTrace
from vodstack.player.video import ENVIVIO_LADDER_KBPS, Video


def make_video(chunks: int = 49) -> Video:
    """The test ladder with chunk sizes near their nominal bitrate (+-10%, deterministic)."""
    sizes = tuple(
        tuple(
            int(kbps * 1000 / 8 * 4 * (1.0 + 0.1 * ((i * 7 + q) % 5 - 2) / 2))
            for i in range(chunks)
        )
        for q, kbps in enumerate(ENVIVIO_LADDER_KBPS)
    )
    return Video(ladder_kbps=ENVIVIO_LADDER_KBPS, sizes=sizes)


def make_trace(rates: list[float], step_s: float = 1.0, name: str = "synthetic") -> NetworkTrace:
    """A trace whose i-th interval of `step_s` seconds runs at `rates[i]` Mbps."""
    times = tuple(i * step_s for i in range(len(rates) + 1))
    return NetworkTrace(name=name, times_s=times, mbps=(rates[0], *rates))


def write_trace(path: Path, trace: NetworkTrace) -> Path:
    """Write `trace` in the `time throughput` text format."""
    lines = [f"{t}\t{r}" for t, r in zip(trace.times_s, trace.mbps, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_video(directory: Path, video: Video) -> Path:
    """Write `video` as video_size_0..N files."""
    directory.mkdir(parents=True, exist_ok=True)
    for level, sizes in enumerate(video.sizes):
        (directory / f"video_size_{level}").write_text("\n".join(str(s) for s in sizes) + "\n")
    return directory
