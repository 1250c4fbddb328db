"""A title's subtitles in the object store: accepted once, then in every version it publishes.

An upload is parsed and sanitised (`subtitles`), written as WebVTT under the title's own prefix
(`subtitles/{title}/`, the layout of `delivery.subtitles`), and into the asset version the title
plays now, so viewers see it without a new encode. PUBLISH copies the title's prefix into each
version it stages (`stage_into`), so a later version (the complete ladder after the preview, a
re-upload) carries the same tracks.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from vodstack.delivery.assets import asset_key_prefix
from vodstack.delivery.subtitles import (
    SUBTITLE_INDEX,
    SubtitleTrack,
    default_name,
    media_playlist,
    read_index,
    timestamp_mapped,
    track_files,
    with_track,
    write_index,
)
from vodstack.pipeline.media.subtitles import parse_subtitles, to_webvtt
from vodstack.storage import ObjectNotFoundError, ObjectStore
from vodstack.storage.keys import subtitles_prefix

ASSET_MARKER = "asset.json"  # a published version has it (pipeline.jobs.dag writes it last)


def add_subtitles(
    store: ObjectStore,
    title_id: int,
    lang: str,
    data: bytes,
    *,
    name: str | None = None,
    duration_s: float | None = None,
    asset_version: str | None = None,
) -> tuple[SubtitleTrack, int]:
    """Validate `data` (InvalidSubtitles) and store it as `lang`; the track and its cue count."""
    cues = parse_subtitles(data, duration_s=duration_s)
    vtt = timestamp_mapped(to_webvtt(cues)).encode("utf-8")
    vtt_path, playlist_path = track_files(lang, hashlib.sha256(vtt).hexdigest())
    span_s = duration_s or max(cue.end_ms for cue in cues) / 1000
    playlist = media_playlist(vtt_path.rsplit("/", 1)[1], span_s).encode("utf-8")
    track = SubtitleTrack(lang, (name or "").strip() or default_name(lang), vtt_path, playlist_path)
    prefixes = [subtitles_prefix(title_id)]
    if asset_version and store.exists(
        f"{asset_key_prefix(title_id, asset_version)}/{ASSET_MARKER}"
    ):
        prefixes.append(asset_key_prefix(title_id, asset_version))
    for prefix in prefixes:
        # The files first, the index last: a reader never finds a track whose files are missing.
        store.put_bytes(f"{prefix}/{vtt_path}", vtt)
        store.put_bytes(f"{prefix}/{playlist_path}", playlist)
        tracks = with_track(read_index(_text(store, f"{prefix}/{SUBTITLE_INDEX}")), track)
        store.put_bytes(f"{prefix}/{SUBTITLE_INDEX}", write_index(tracks).encode("utf-8"))
    return track, len(cues)


def title_subtitles(store: ObjectStore, title_id: int) -> list[SubtitleTrack]:
    return read_index(_text(store, f"{subtitles_prefix(title_id)}/{SUBTITLE_INDEX}"))


def stage_into(store: ObjectStore, title_id: int, staged: Path) -> int:
    """Copy the title's current subtitle tracks into a staged asset version; how many."""
    tracks = title_subtitles(store, title_id)
    prefix = subtitles_prefix(title_id)
    for track in tracks:
        for path in (track.vtt, track.playlist):
            store.fetch(f"{prefix}/{path}", staged / path)
    if tracks:
        (staged / SUBTITLE_INDEX).write_text(write_index(tracks), encoding="utf-8")
    return len(tracks)


def _text(store: ObjectStore, key: str) -> str | None:
    try:
        with store.open(key) as reader:
            return reader.read().decode("utf-8")
    except ObjectNotFoundError:
        return None
