"""One simulated playback session: an ABR algorithm streaming the test video over a trace.

Follows Pensieve's test loop: the first chunk is fetched at the start rendition, the buffer starts
empty and playback has no start threshold (so the first download counts as a stall), and after
each chunk the algorithm observes the download and picks the next rendition.
"""

from __future__ import annotations

from dataclasses import dataclass

from vodstack.player.abr.interface import AbrAlgorithm, ChunkObservation, DecisionContext
from vodstack.player.abr.qoe import LinearQoE
from vodstack.player.simulation.constants import (
    BUFFER_LIMIT_MS,
    QOE_FIRST_CHUNK,
    QOE_LAST_CHUNK,
    RTT_MS,
    SESSION_CHUNKS,
    START_RENDITION,
)
from vodstack.player.simulation.link import TraceLink
from vodstack.player.traces import NetworkTrace
from vodstack.player.video import Video


@dataclass(frozen=True)
class ChunkRecord:
    """What happened to one chunk."""

    index: int
    rendition: int
    bitrate_mbps: float
    size_bytes: int
    #: Session time when its request was sent.
    start_s: float
    download_s: float
    rebuffer_s: float
    #: Buffer once it was appended and any idling done.
    buffer_s: float
    sleep_s: float
    qoe: float

    @property
    def throughput_mbps(self) -> float:
        """Throughput the player measured for this chunk."""
        return self.size_bytes * 8 / self.download_s / 1e6


@dataclass(frozen=True)
class SessionResult:
    """All chunks of one session, with the standard summary figures."""

    trace_name: str
    algorithm: str
    chunks: tuple[ChunkRecord, ...]

    @property
    def scored(self) -> tuple[ChunkRecord, ...]:
        """The chunks the QoE is averaged over (1..47)."""
        return self.chunks[QOE_FIRST_CHUNK : QOE_LAST_CHUNK + 1]

    @property
    def qoe_per_chunk(self) -> float:
        return sum(c.qoe for c in self.scored) / len(self.scored)

    @property
    def bitrate_mbps_mean(self) -> float:
        return sum(c.bitrate_mbps for c in self.scored) / len(self.scored)

    @property
    def rebuffer_s(self) -> float:
        """Stall seconds over the scored chunks (the start-up delay of chunk 0 excluded)."""
        return sum(c.rebuffer_s for c in self.scored)

    @property
    def smoothness_mbps_mean(self) -> float:
        """Mean |bitrate change| per scored chunk."""
        scored = self.scored
        previous = self.chunks[QOE_FIRST_CHUNK - 1 : QOE_LAST_CHUNK]
        return sum(
            abs(c.bitrate_mbps - p.bitrate_mbps) for c, p in zip(scored, previous, strict=True)
        ) / len(scored)


def simulate_session(
    trace: NetworkTrace,
    video: Video,
    algorithm: AbrAlgorithm,
    chunk_count: int = SESSION_CHUNKS,
    start_rendition: int = START_RENDITION,
    qoe: LinearQoE | None = None,
) -> SessionResult:
    """Stream `chunk_count` chunks of `video` over `trace`, `algorithm` choosing each rendition."""
    if chunk_count > video.chunk_count:
        raise ValueError(f"the video has {video.chunk_count} chunks, {chunk_count} requested")
    metric = qoe or LinearQoE()
    link = TraceLink(trace)
    ladder = video.ladder_mbps
    buffer_ms = 0.0
    clock_ms = 0.0
    rendition = previous = start_rendition
    records: list[ChunkRecord] = []
    for index in range(chunk_count):
        if index > 0:
            rendition = algorithm.decide(
                DecisionContext(
                    chunk_index=index,
                    chunk_count=chunk_count,
                    buffer_s=buffer_ms / 1000.0,
                    last_rendition=previous,
                    ladder_kbps=video.ladder_kbps,
                    chunk_duration_s=video.chunk_duration_s,
                    upcoming_sizes=tuple(
                        video.chunk_sizes(i) for i in range(index, video.chunk_count)
                    ),
                )
            )
        size = video.sizes[rendition][index]
        delay_ms = link.download(size)
        rebuffer_ms = max(delay_ms - buffer_ms, 0.0)
        buffer_ms = max(buffer_ms - delay_ms, 0.0) + video.chunk_duration_s * 1000.0
        sleep_ms = link.idle_for_buffer(buffer_ms, BUFFER_LIMIT_MS)
        buffer_ms -= sleep_ms
        record = ChunkRecord(
            index=index,
            rendition=rendition,
            bitrate_mbps=ladder[rendition],
            size_bytes=size,
            start_s=clock_ms / 1000.0,
            download_s=delay_ms / 1000.0,
            rebuffer_s=rebuffer_ms / 1000.0,
            buffer_s=buffer_ms / 1000.0,
            sleep_s=sleep_ms / 1000.0,
            qoe=metric.chunk(ladder[rendition], ladder[previous], rebuffer_ms / 1000.0),
        )
        records.append(record)
        clock_ms += delay_ms + sleep_ms
        algorithm.observe(
            ChunkObservation(
                chunk_index=index,
                rendition=rendition,
                size_bytes=size,
                duration_s=record.download_s,
                buffer_s=record.buffer_s,
                latency_s=RTT_MS / 1000.0,
                rebuffer_s=record.rebuffer_s,
            )
        )
        previous = rendition
    return SessionResult(trace_name=trace.name, algorithm=algorithm.name, chunks=tuple(records))
