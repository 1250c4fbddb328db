"""HLS playlists written from measured renditions: media playlists and the multivariant one.

Each video variant's BANDWIDTH is its peak segment bit rate plus the heaviest audio rendition's
peak, and AVERAGE-BANDWIDTH the same with averages, as RFC 8216 defines them for a variant that
plays with an audio group. The group lists every audio rendition with its LANGUAGE, NAME and
CHANNELS, exactly one of them DEFAULT. With several video codecs, every codec's variants share
the audio group and each states its exact CODECS; H.264's come first (a player that takes the
first variant can decode it), and players pick the codec they can decode (the web player: the
most efficient).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from vodstack.pipeline.media.audio_tracks import AudioTrack, TrackLabel
from vodstack.pipeline.media.rendition import PackagedRendition, codec_groups

AUDIO_GROUP = "aac"
VERSION = 7  # fMP4 segments with EXT-X-MAP need version 6+; 7 for the audio group attributes.


def media_playlist(rendition: PackagedRendition, init_name: str = "init.mp4") -> str:
    """The VOD media playlist of one rendition (paths relative to its directory)."""
    target = max(math.ceil(s.duration_s - 1e-3) for s in rendition.segments)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        f"#EXT-X-TARGETDURATION:{target}",
        f"#EXT-X-MEDIA-SEQUENCE:{rendition.segments[0].number}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f'#EXT-X-MAP:URI="{init_name}"',
    ]
    for segment in rendition.segments:
        lines += [f"#EXTINF:{segment.duration_s:.6f},", segment.filename]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def write_media_playlist(path: Path, rendition: PackagedRendition) -> Path:
    path.write_text(media_playlist(rendition), encoding="utf-8")
    return path


def multivariant_playlist(
    video: Sequence[PackagedRendition],
    audio: PackagedRendition | Sequence[AudioTrack],
    playlist_name: str = "index.m3u8",
) -> str:
    """The master playlist: one audio group holding every audio rendition (a language, a
    layout), one variant per video rendition (lowest first)."""
    tracks = _as_tracks(audio)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        *(_audio_media(track, playlist_name) for track in tracks),
    ]
    # A variant's bandwidth counts the heaviest audio rendition a player may pick with it.
    audio_peak = max(t.rendition.peak_bps for t in tracks)
    audio_average = max(t.rendition.average_bps for t in tracks)
    audio_codecs = ",".join(dict.fromkeys(t.rendition.codecs for t in tracks))
    for rendition in (r for group in codec_groups(video) for r in group):
        fps = float(rendition.frame_rate or 0)
        attributes = ",".join(
            [
                f"BANDWIDTH={rendition.peak_bps + audio_peak}",
                f"AVERAGE-BANDWIDTH={rendition.average_bps + audio_average}",
                f'CODECS="{rendition.codecs},{audio_codecs}"',
                f"RESOLUTION={rendition.width}x{rendition.height}",
                f"FRAME-RATE={fps:.3f}",
                f'AUDIO="{AUDIO_GROUP}"',
            ]
        )
        lines += [f"#EXT-X-STREAM-INF:{attributes}", f"{rendition.name}/{playlist_name}"]
    return "\n".join(lines) + "\n"


def _as_tracks(audio: PackagedRendition | Sequence[AudioTrack]) -> list[AudioTrack]:
    if isinstance(audio, PackagedRendition):
        return [AudioTrack(audio, TrackLabel(label=audio.name))]
    return list(audio)


def _audio_media(track: AudioTrack, playlist_name: str) -> str:
    label, rendition = track.label, track.rendition
    return (
        f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",LANGUAGE="{label.language}",'
        f'NAME="{_quoted(label.label)}",DEFAULT={"YES" if label.default else "NO"},'
        f'AUTOSELECT=YES,CHANNELS="{rendition.channels}",URI="{rendition.name}/{playlist_name}"'
    )


def _quoted(text: str) -> str:
    # An HLS quoted-string holds no double quote and no line break (RFC 8216 4.2).
    return text.replace('"', "'").replace("\n", " ").replace("\r", " ")
