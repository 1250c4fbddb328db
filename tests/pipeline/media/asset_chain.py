"""The media chain end to end, as the orchestrator runs it (sequentially), for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media import (
    AudioRung,
    EncoderSettings,
    Ladder,
    Normalization,
    PackagedRendition,
    ResolvedLadder,
    Rung,
    SourceInfo,
    concat_chunks,
    describe_rendition,
    encode_audio,
    encode_chunk,
    make_poster,
    make_trickplay,
    measure_quality,
    plan_chunks,
    plan_normalization,
    probe,
    resolve_ladder,
    segment_rendition,
    write_manifests,
)

# A reduced ladder for 320x240 sources: two video rungs and the standard audio rung.
TEST_LADDER = Ladder(
    video=(
        Rung("v120p", 120, 150, 225, 300),
        Rung("v240p", 240, 400, 600, 800),
    ),
    audio=AudioRung(),
)
FAST = EncoderSettings(preset="ultrafast", threads=1)


@dataclass(frozen=True)
class BuiltAsset:
    source: Path
    info: SourceInfo
    norm: Normalization
    ladder: ResolvedLadder
    root: Path
    renditions: tuple[PackagedRendition, ...]


def build_asset(
    source: Path, work: Path, *, chunk_s: float = 8.0, ladder: Ladder = TEST_LADDER
) -> BuiltAsset:
    """The media chain end to end, as the orchestrator runs it (sequentially here)."""
    info = probe(source)
    norm = plan_normalization(info)
    resolved = resolve_ladder(ladder, norm)
    chunks = plan_chunks(info, norm, chunk_s=chunk_s)
    root = work / "asset"
    root.mkdir()
    renditions = []
    for rendition in resolved.video:
        parts = [
            encode_chunk(
                source,
                norm,
                chunk,
                rendition,
                work / f"{rendition.name}_{chunk.index}.mp4",
                settings=FAST,
            ).path
            for chunk in chunks
        ]
        joined = concat_chunks(parts, work / f"{rendition.name}.mp4")
        renditions.append(segment_rendition(joined.path, root / rendition.name))
    audio = encode_audio(source, info, norm, resolved.audio, work / "audio.mp4")
    renditions.append(segment_rendition(audio.path, root / resolved.audio.name))
    described = tuple(describe_rendition(root / r.name) for r in renditions)
    write_manifests(root, described)
    make_poster(source, norm, info.duration_s, root / "poster.jpg")
    # Every 10 s; a clip of 10 s or less gets one every half (ffmpeg fails on no thumbnail).
    interval = 10.0 if info.duration_s > 10.0 else max(1.0, info.duration_s / 2)
    make_trickplay(source, norm, info.duration_s, root / "thumbs", interval_s=interval)
    measure_quality(source, norm, root, described, samples=2, out_path=root / "quality.json")
    return BuiltAsset(source, info, norm, resolved, root, described)
