"""CMAF packaging: one joined rendition file -> `init.mp4` + numbered 4 s `seg_NNNNN.m4s`.

ffmpeg's HLS muxer does the cutting (`-c copy`, fMP4 segments, a cut at the first keyframe at or
after every multiple of 4 s; the encode put one exactly there). Segment numbers start at 1,
matching DASH's default `startNumber`. Everything a manifest states about a rendition is then
measured from the written files (`describe_rendition`), so a rendition packaged in one process
can be described in another from the directory alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vodstack.pipeline.media.audio_tracks import audio_tracks
from vodstack.pipeline.media.dash import mpd
from vodstack.pipeline.media.errors import InvalidAsset
from vodstack.pipeline.media.ffmpeg import DEFAULT_CONTROL, RunControl
from vodstack.pipeline.media.hls import multivariant_playlist, write_media_playlist
from vodstack.pipeline.media.protection import (
    Cenc,
    protect_master,
    protect_media_playlist,
    protect_mpd,
)
from vodstack.pipeline.media.rendition import (
    FIRST_SEGMENT_NUMBER,
    INIT_NAME,
    MEDIA_PLAYLIST,
    SEGMENT_PATTERN,
    PackagedRendition,
    RenditionKind,
    describe_rendition,
)


def segment_rendition(
    joined: Path,
    out_dir: Path,
    *,
    segment_s: float = 4.0,
    control: RunControl = DEFAULT_CONTROL,
    cenc: Cenc | None = None,
) -> PackagedRendition:
    """Cut `joined` (one track) into `out_dir/init.mp4` + `seg_*.m4s` and write `index.m3u8`.

    With `cenc`, the segments are encrypted as they are cut (media.protection)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch_playlist = out_dir / "ffmpeg.m3u8"
    args = [
        "-i",
        str(joined),
        "-map",
        "0",
        "-c",
        "copy",
        "-f",
        "hls",
        "-hls_segment_type",
        "fmp4",
        "-hls_time",
        f"{segment_s:g}",
        "-hls_playlist_type",
        "vod",
        "-hls_list_size",
        "0",
        "-start_number",
        str(FIRST_SEGMENT_NUMBER),
        "-hls_fmp4_init_filename",
        INIT_NAME,
        "-hls_segment_filename",
        str(out_dir / SEGMENT_PATTERN),
        *(["-hls_segment_options", cenc.muxer_options()] if cenc is not None else []),
        str(scratch_playlist),
    ]
    try:
        control.run(args)
    finally:
        # The muxer's own playlist is replaced by ours, written from measured segments.
        scratch_playlist.unlink(missing_ok=True)
    rendition = describe_rendition(out_dir)
    playlist = write_media_playlist(out_dir / MEDIA_PLAYLIST, rendition)
    if cenc is not None:
        playlist.write_text(protect_media_playlist(playlist.read_text("utf-8"), cenc), "utf-8")
    return rendition


MASTER_PLAYLIST = "master.m3u8"
DASH_MANIFEST = "manifest.mpd"


@dataclass(frozen=True, slots=True)
class Manifests:
    master: Path
    mpd: Path


def write_manifests(
    root: Path, renditions: Sequence[PackagedRendition], cenc: Cenc | None = None
) -> Manifests:
    """Write `master.m3u8` and `manifest.mpd` for the renditions packaged under `root`, naming
    `cenc`'s key id when they were encrypted with it."""
    video = [r for r in renditions if r.kind is RenditionKind.VIDEO]
    audio = [r for r in renditions if r.kind is RenditionKind.AUDIO]
    if not video or not audio:
        raise InvalidAsset([f"need video and audio renditions, got {len(video)}/{len(audio)}"])
    tracks = audio_tracks(audio, root)  # languages and labels from each folder's track.json
    master = root / MASTER_PLAYLIST
    master.write_text(multivariant_playlist(video, tracks, MEDIA_PLAYLIST), encoding="utf-8")
    manifest = root / DASH_MANIFEST
    manifest.write_text(mpd(video, tracks), encoding="utf-8")
    if cenc is not None:
        master.write_text(protect_master(master.read_text("utf-8"), cenc), "utf-8")
        manifest.write_text(protect_mpd(manifest.read_text("utf-8"), cenc), "utf-8")
    return Manifests(master=master, mpd=manifest)
