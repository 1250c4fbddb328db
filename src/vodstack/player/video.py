"""The video an ABR session plays: its bitrate ladder and the byte size of every chunk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Encoding bitrates of the standard "envivio" test video (kbps), rendition 0 = lowest.
ENVIVIO_LADDER_KBPS: tuple[int, ...] = (300, 750, 1200, 1850, 2850, 4300)

#: Duration of every chunk of the test video (seconds).
CHUNK_DURATION_S = 4.0


class VideoError(ValueError):
    """A chunk-size directory that does not describe a usable video."""


@dataclass(frozen=True)
class Video:
    """Chunk sizes per rendition (`sizes[rendition][chunk]`, bytes) and the ladder they encode."""

    ladder_kbps: tuple[int, ...]
    sizes: tuple[tuple[int, ...], ...]
    chunk_duration_s: float = CHUNK_DURATION_S

    def __post_init__(self) -> None:
        if len(self.sizes) != len(self.ladder_kbps) or not self.sizes:
            raise VideoError("need one chunk-size list per rendition of the ladder")
        if len({len(s) for s in self.sizes}) != 1:
            raise VideoError("every rendition must have the same number of chunks")

    @property
    def chunk_count(self) -> int:
        """Number of chunks listed per rendition."""
        return len(self.sizes[0])

    @property
    def ladder_mbps(self) -> tuple[float, ...]:
        """The ladder in Mbps, the unit of the linear QoE."""
        return tuple(k / 1000.0 for k in self.ladder_kbps)

    def chunk_sizes(self, chunk: int) -> tuple[int, ...]:
        """Byte size of `chunk` in every rendition."""
        return tuple(s[chunk] for s in self.sizes)


def read_video_sizes(directory: Path, ladder_kbps: tuple[int, ...] = ENVIVIO_LADDER_KBPS) -> Video:
    """Read `video_size_0 .. video_size_N` (one byte count per line) from `directory`."""
    sizes: list[tuple[int, ...]] = []
    for level in range(len(ladder_kbps)):
        path = directory / f"video_size_{level}"
        if not path.is_file():
            raise VideoError(f"{path} is missing (expected video_size_0..{len(ladder_kbps) - 1})")
        lines = [line.split() for line in path.read_text().splitlines()]
        sizes.append(tuple(int(fields[0]) for fields in lines if fields))
    return Video(ladder_kbps=ladder_kbps, sizes=tuple(sizes))
