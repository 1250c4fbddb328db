"""Subtitle tracks of an asset version, and how the manifests offer them.

Subtitles arrive after the video, often long after it is published, so they are not baked into
the published `master.m3u8` / `manifest.mpd` (immutable, and cached forever by playback).
Instead each asset version holds

    subs/{lang}-{digest}.vtt    the sanitised WebVTT (content-addressed: never overwritten, so
    subs/{lang}-{digest}.m3u8   edges may cache it forever) and its one-segment HLS playlist
    subtitles.json              the index: which file is each language's current one

and playback adds the tracks of `subtitles.json` to the manifests it serves per session
(`with_hls_subtitles`, `with_dash_subtitles`): an HLS `SUBTITLES` group that every variant
names, and one DASH text AdaptationSet per language. Replacing a language writes new files
and a new index; sessions started before keep the old files, which stay valid.
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass

from vodstack.delivery.hls import STREAM_INF, read_playlist
from vodstack.delivery.languages import language_name

SUBTITLE_INDEX = "subtitles.json"
SUBTITLE_DIR = "subs"
SUBTITLE_GROUP = "subs"
_MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
_ROLE_SCHEME = "urn:mpeg:dash:role:2011"


@dataclass(frozen=True, slots=True)
class SubtitleTrack:
    lang: str
    name: str
    vtt: str  # path relative to the asset version, e.g. "subs/fr-1a2b3c4d.vtt"
    playlist: str  # its HLS media playlist, e.g. "subs/fr-1a2b3c4d.m3u8"


def default_name(lang: str) -> str:
    return language_name(lang)


def track_files(lang: str, digest: str) -> tuple[str, str]:
    """The (vtt, playlist) paths of one language's file with this content digest."""
    stem = f"{SUBTITLE_DIR}/{lang}-{digest[:12]}"
    return f"{stem}.vtt", f"{stem}.m3u8"


def read_index(text: str | None) -> list[SubtitleTrack]:
    """The tracks of a `subtitles.json` (None or empty: no subtitles)."""
    if not text:
        return []
    return [SubtitleTrack(**entry) for entry in json.loads(text)["tracks"]]


def write_index(tracks: list[SubtitleTrack]) -> str:
    ordered = sorted(tracks, key=lambda t: t.lang)
    return json.dumps({"tracks": [asdict(t) for t in ordered]}, ensure_ascii=False, indent=1)


def with_track(tracks: list[SubtitleTrack], track: SubtitleTrack) -> list[SubtitleTrack]:
    """The index with `track` added, replacing the same language's previous file."""
    return [*(t for t in tracks if t.lang != track.lang), track]


def media_playlist(vtt_name: str, duration_s: float) -> str:
    """A VOD playlist of one WebVTT segment covering the whole title.

    Cue times are the title's own (0 = first frame), and the CMAF segments start at 0, so the
    timestamp map is the identity; hls.js needs it to place cues of fMP4 titles.
    """
    return (
        "\n".join(
            [
                "#EXTM3U",
                "#EXT-X-VERSION:7",
                f"#EXT-X-TARGETDURATION:{max(1, math.ceil(duration_s))}",
                "#EXT-X-MEDIA-SEQUENCE:0",
                "#EXT-X-PLAYLIST-TYPE:VOD",
                f"#EXTINF:{duration_s:.3f},",
                vtt_name,
                "#EXT-X-ENDLIST",
            ]
        )
        + "\n"
    )


def timestamp_mapped(vtt: str) -> str:
    """The WebVTT with an identity X-TIMESTAMP-MAP header (HLS needs it for fMP4 titles)."""
    first, _, rest = vtt.partition("\n")
    return f"{first}\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n{rest}"


def with_hls_subtitles(master: str, tracks: list[SubtitleTrack]) -> str:
    """The master playlist with a SUBTITLES group of `tracks`, named by every variant."""
    if not tracks:
        return master
    out: list[str] = []
    media = [_media_line(track) for track in sorted(tracks, key=lambda t: t.lang)]
    for line in read_playlist(master):
        if line.tag == STREAM_INF:
            out += media
            media = []
            out.append(f'{line.text.rstrip()},SUBTITLES="{SUBTITLE_GROUP}"')
        else:
            out.append(line.text)
    return "\n".join(out) + "\n"


def _media_line(track: SubtitleTrack) -> str:
    return (
        f'#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="{SUBTITLE_GROUP}",LANGUAGE="{track.lang}",'
        f'NAME="{_quoted(track.name)}",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,'
        f'URI="{track.playlist}"'
    )


def _quoted(text: str) -> str:
    # A quoted-string cannot hold a double quote or a line break (RFC 8216 4.2).
    return re.sub(r'["\r\n]', "'", text)


def with_dash_subtitles(period: ET.Element, tracks: list[SubtitleTrack], token: str) -> None:
    """Add one text AdaptationSet per track to `period` (sidecar WebVTT, URL signed)."""
    for number, track in enumerate(sorted(tracks, key=lambda t: t.lang)):
        adaptation = ET.SubElement(
            period,
            _q("AdaptationSet"),
            {
                "id": f"text-{number}",
                "contentType": "text",
                "mimeType": "text/vtt",
                "lang": track.lang,
            },
        )
        # Schema order: Label (a common element) before Role.
        ET.SubElement(adaptation, _q("Label")).text = track.name
        ET.SubElement(adaptation, _q("Role"), {"schemeIdUri": _ROLE_SCHEME, "value": "subtitle"})
        representation = ET.SubElement(
            adaptation, _q("Representation"), {"id": f"sub-{track.lang}", "bandwidth": "256"}
        )
        ET.SubElement(representation, _q("BaseURL")).text = f"{track.vtt}?t={token}"


def _q(tag: str) -> str:
    return f"{{{_MPD_NS}}}{tag}"
