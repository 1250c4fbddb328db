"""The media layer: what each pipeline task does to files. No database, no global state.

Every function takes explicit paths and returns typed results; every ffmpeg process runs under
an `FfmpegRunner` (progress callback, cancel token, timeout). The orchestrator chains them:

    info = probe(source, ProbeLimits(...))                  # validate; InvalidMedia if unusable
    norm = plan_normalization(info)                         # describe_source(): stored with the job
    estimate_complexity(source, info, norm)                 # stored too; analyze() does both
    ladder = resolve_ladder(DEFAULT_LADDER, norm)           # never upscales
    chunks = plan_chunks(info, norm, chunk_s=16)
    per chunk:              split_chunk(source, norm, chunk, mezzanine)   # decode once
    for chunk x rendition:  encode_from_mezzanine(mezzanine, norm, chunk, rendition, path)
      (or straight from the master: encode_chunk(...), encode_chunk_renditions(...))
    encode_audio(source, info, norm, ladder.audio, path)
    per rendition:          concat_chunks(paths, joined) -> segment_rendition(joined, root/name)
    write_manifests(root, [describe_rendition(root / name) for name in names])
    make_poster(...); make_trickplay(...); measure_quality(..., out_path=root / 'quality.json')
    validate_asset(root)                                    # InvalidAsset: never publish it

Asset layout under an asset-version root: `{rendition}/init.mp4`, `{rendition}/seg_00001.m4s`...
(numbered from 1), `{rendition}/index.m3u8`, `master.m3u8`, `manifest.mpd`, `poster.jpg`,
`thumbs/sprite_001.jpg`... + `thumbs/thumbs.vtt`, `quality.json`.

Errors (see `errors`): MediaError > InvalidMedia | EncodeFailed (> EncodeTimeout) |
EncodeCancelled | InvalidAsset.
"""

from vodstack.pipeline.media.analysis import (
    Analysis,
    Complexity,
    analyze,
    describe_source,
    estimate_complexity,
)
from vodstack.pipeline.media.concat import concat_chunks
from vodstack.pipeline.media.encode import (
    DEFAULT_CHUNK_S,
    SEEK_MARGIN_S,
    SEGMENT_S,
    Chunk,
    EncodedFile,
    EncoderSettings,
    encode_audio,
    encode_chunk,
    encode_chunk_renditions,
    plain_ffmpeg_ladder_command,
    plan_chunks,
    total_frames,
)
from vodstack.pipeline.media.errors import (
    EncodeCancelled,
    EncodeFailed,
    EncodeTimeout,
    InvalidAsset,
    InvalidMedia,
    InvalidReason,
    MediaError,
    corrupt_media,
    timestamp,
)
from vodstack.pipeline.media.ffmpeg import (
    CancelToken,
    FfmpegRun,
    FfmpegRunner,
    Progress,
    ProgressCallback,
    RunControl,
    ffmpeg_exe,
)
from vodstack.pipeline.media.integrity import locate_corruption
from vodstack.pipeline.media.ladder import (
    CODEC_PREFERENCE,
    DEFAULT_LADDER,
    AudioRung,
    H264Profile,
    Ladder,
    ResolvedLadder,
    Rung,
    VideoCodec,
    VideoRendition,
    resolve_ladder,
    with_codecs,
)
from vodstack.pipeline.media.mezzanine import (
    Mezzanine,
    encode_from_mezzanine,
    mezzanine_bytes,
    split_chunk,
)
from vodstack.pipeline.media.normalize import Normalization, plan_normalization
from vodstack.pipeline.media.package import (
    DASH_MANIFEST,
    MASTER_PLAYLIST,
    Manifests,
    segment_rendition,
    write_manifests,
)
from vodstack.pipeline.media.poster import POSTER_NAME, make_poster
from vodstack.pipeline.media.probe import AudioInfo, ProbeLimits, SourceInfo, probe
from vodstack.pipeline.media.quality import (
    QualityReport,
    RenditionQuality,
    measure_quality,
    quality_unmeasured,
)
from vodstack.pipeline.media.rendition import (
    PackagedRendition,
    RenditionKind,
    Segment,
    describe_rendition,
)
from vodstack.pipeline.media.synthetic import (
    DEMO_SPECS,
    DemoSpec,
    Pattern,
    make_demo_sources,
    make_synthetic,
    pattern_clip,
)
from vodstack.pipeline.media.thumbnails import Trickplay, make_trickplay
from vodstack.pipeline.media.validate import AssetReport, DecodeCheck, validate_asset

__all__ = [
    "CODEC_PREFERENCE",
    "DASH_MANIFEST",
    "DEFAULT_CHUNK_S",
    "DEFAULT_LADDER",
    "DEMO_SPECS",
    "MASTER_PLAYLIST",
    "POSTER_NAME",
    "SEEK_MARGIN_S",
    "SEGMENT_S",
    "Analysis",
    "AssetReport",
    "AudioInfo",
    "AudioRung",
    "CancelToken",
    "Chunk",
    "Complexity",
    "DecodeCheck",
    "DemoSpec",
    "EncodeCancelled",
    "EncodeFailed",
    "EncodeTimeout",
    "EncodedFile",
    "EncoderSettings",
    "FfmpegRun",
    "FfmpegRunner",
    "H264Profile",
    "InvalidAsset",
    "InvalidMedia",
    "InvalidReason",
    "Ladder",
    "Manifests",
    "MediaError",
    "Mezzanine",
    "Normalization",
    "PackagedRendition",
    "Pattern",
    "ProbeLimits",
    "Progress",
    "ProgressCallback",
    "QualityReport",
    "RenditionKind",
    "RenditionQuality",
    "ResolvedLadder",
    "RunControl",
    "Rung",
    "Segment",
    "SourceInfo",
    "Trickplay",
    "VideoCodec",
    "VideoRendition",
    "analyze",
    "concat_chunks",
    "corrupt_media",
    "describe_rendition",
    "describe_source",
    "encode_audio",
    "encode_chunk",
    "encode_chunk_renditions",
    "encode_from_mezzanine",
    "estimate_complexity",
    "ffmpeg_exe",
    "locate_corruption",
    "make_demo_sources",
    "make_poster",
    "make_synthetic",
    "make_trickplay",
    "measure_quality",
    "mezzanine_bytes",
    "pattern_clip",
    "plain_ffmpeg_ladder_command",
    "plan_chunks",
    "plan_normalization",
    "probe",
    "quality_unmeasured",
    "resolve_ladder",
    "segment_rendition",
    "split_chunk",
    "timestamp",
    "total_frames",
    "validate_asset",
    "with_codecs",
    "write_manifests",
]
