"""HLS playlists written from measured renditions: media playlists and the multivariant one.

Each video variant's BANDWIDTH is its peak segment bit rate plus the audio rendition's peak, and
AVERAGE-BANDWIDTH the sum of the averages, as RFC 8216 defines them for a variant that plays
with an audio group. With several video codecs, every codec's variants share the audio group and
each states its exact CODECS; H.264's come first (a player that takes the first variant can
decode it), and players pick the codec they can decode (the web player: the most efficient).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

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
    audio: PackagedRendition,
    playlist_name: str = "index.m3u8",
) -> str:
    """The master playlist: one audio group, one variant per video rendition (lowest first)."""
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{VERSION}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{AUDIO_GROUP}",NAME="{audio.name}",'
        f'DEFAULT=YES,AUTOSELECT=YES,CHANNELS="{audio.channels}",'
        f'URI="{audio.name}/{playlist_name}"',
    ]
    for rendition in (r for group in codec_groups(video) for r in group):
        fps = float(rendition.frame_rate or 0)
        attributes = ",".join(
            [
                f"BANDWIDTH={rendition.peak_bps + audio.peak_bps}",
                f"AVERAGE-BANDWIDTH={rendition.average_bps + audio.average_bps}",
                f'CODECS="{rendition.codecs},{audio.codecs}"',
                f"RESOLUTION={rendition.width}x{rendition.height}",
                f"FRAME-RATE={fps:.3f}",
                f'AUDIO="{AUDIO_GROUP}"',
            ]
        )
        lines += [f"#EXT-X-STREAM-INF:{attributes}", f"{rendition.name}/{playlist_name}"]
    return "\n".join(lines) + "\n"
