"""What every ABR algorithm sees and decides.

The player reports each finished chunk download as a `ChunkObservation` and, before fetching the
next chunk, asks `decide` with a `DecisionContext`. Both are plain values, so the same recorded
observations can drive the simulator, a live player, or the JavaScript port in the browser.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ChunkObservation:
    """One finished chunk download, as the player saw it."""

    chunk_index: int
    rendition: int
    size_bytes: int
    #: From sending the request to the last byte, in seconds (includes `latency_s`).
    duration_s: float
    #: Buffer level once the chunk was appended (and any idle wait done), in seconds.
    buffer_s: float
    #: Time to first byte when the player knows it (0 when unknown); part of `duration_s`.
    latency_s: float = 0.0
    #: Playback stall caused while waiting for this chunk, in seconds.
    rebuffer_s: float = 0.0

    @property
    def throughput_bps(self) -> float:
        """Bytes per second over the whole request, as players usually measure it."""
        return self.size_bytes / self.duration_s if self.duration_s > 0 else float("inf")


@dataclass(frozen=True)
class DecisionContext:
    """Everything known when choosing the rendition of the next chunk."""

    #: Index of the chunk about to be fetched.
    chunk_index: int
    #: Number of chunks in the session (the video's length).
    chunk_count: int
    #: Current buffer level, in seconds.
    buffer_s: float
    #: Rendition of the previous chunk (the start rendition before the first decision).
    last_rendition: int
    #: Bitrate of each rendition in kbps, lowest first.
    ladder_kbps: tuple[int, ...]
    chunk_duration_s: float
    #: Byte sizes of the upcoming chunks, `upcoming_sizes[k][rendition]` for chunk
    #: `chunk_index + k`, when the manifest tells them; None when only the ladder is known.
    upcoming_sizes: tuple[tuple[int, ...], ...] | None = None

    @property
    def chunks_left(self) -> int:
        """Chunks still to fetch, including the one being decided."""
        return self.chunk_count - self.chunk_index

    def chunk_size(self, ahead: int, rendition: int) -> float:
        """Bytes of chunk `chunk_index + ahead` in `rendition` (from the ladder if unknown)."""
        if self.upcoming_sizes is not None and ahead < len(self.upcoming_sizes):
            return float(self.upcoming_sizes[ahead][rendition])
        return self.ladder_kbps[rendition] * 1000.0 / 8.0 * self.chunk_duration_s


class AbrAlgorithm(ABC):
    """An ABR policy: fed every chunk download, asked for the next chunk's rendition.

    Instances keep per-session state; create a fresh one per playback session.
    """

    #: Name under which the algorithm is registered.
    name: ClassVar[str]

    def observe(self, observation: ChunkObservation) -> None:  # noqa: B027 - optional hook
        """Record a finished chunk download (default: ignore it)."""

    @abstractmethod
    def decide(self, context: DecisionContext) -> int:
        """Rendition index (0 = lowest) for chunk `context.chunk_index`."""
