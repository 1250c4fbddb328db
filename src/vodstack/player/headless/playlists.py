"""Reading HLS playlists the way a player does: variants from the master, segments per rendition.

Only what VOD playback of the platform's own CMAF assets needs (RFC 8216 subset): variant
bandwidth and resolution, the audio group's playlist, `EXT-X-MAP` and `EXTINF` entries.
URIs are resolved against the playlist's own URL, as a browser resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from vodstack.delivery.hls import EXTINF, MAP, MEDIA, STREAM_INF, read_playlist, resolution


class PlaylistError(ValueError):
    """A playlist the player cannot play (empty, or missing what it must have)."""


@dataclass(frozen=True)
class VariantStream:
    url: str
    bandwidth_bps: int
    width: int | None
    height: int | None

    @property
    def name(self) -> str:
        """The rendition's directory name, e.g. `v720p` for `.../v720p/index.m3u8`."""
        return self.url.split("?", 1)[0].rstrip("/").split("/")[-2]


@dataclass(frozen=True)
class MasterPlaylist:
    #: Video variants, lowest bandwidth first (the ABR's rendition indexes).
    variants: tuple[VariantStream, ...]
    #: The default audio rendition's playlist when audio is a separate rendition.
    audio_url: str | None


@dataclass(frozen=True)
class MediaSegment:
    url: str
    duration_s: float


@dataclass(frozen=True)
class MediaPlaylist:
    init_url: str | None
    segments: tuple[MediaSegment, ...]

    @property
    def duration_s(self) -> float:
        return sum(segment.duration_s for segment in self.segments)


def parse_master(text: str, url: str) -> MasterPlaylist:
    """The variants and audio of a master playlist fetched from `url`."""
    variants: list[VariantStream] = []
    audio: str | None = None
    first_family: str | None = None
    for line in read_playlist(text):
        if line.tag == MEDIA:
            attrs = line.attributes
            is_default = attrs.get("DEFAULT") == "YES" or audio is None
            if attrs.get("TYPE") == "AUDIO" and line.uri is not None and is_default:
                audio = urljoin(url, line.uri)
        elif (
            line.uri_line is not None and line.parent is not None and line.parent.tag == STREAM_INF
        ):
            attrs = line.parent.attributes
            # One video codec per playback, as a real player (no switching across codecs):
            # the first variant's, which the packager makes H.264 (every player decodes it).
            family = _video_family(attrs.get("CODECS", ""))
            first_family = family if first_family is None else first_family
            if family != first_family:
                continue
            width, height = resolution(attrs.get("RESOLUTION"))
            bandwidth = int(attrs.get("BANDWIDTH", "0"))
            variants.append(VariantStream(urljoin(url, line.uri_line), bandwidth, width, height))
    if not variants:
        raise PlaylistError("the master playlist lists no variant stream")
    return MasterPlaylist(tuple(sorted(variants, key=lambda v: v.bandwidth_bps)), audio)


def _video_family(codecs: str) -> str:
    """The video codec's sample entry in a CODECS list (`avc1`, `av01`, `vp09`), or ""."""
    for codec in codecs.split(","):
        entry = codec.strip().split(".")[0]
        if entry and not entry.startswith("mp4a"):
            return "avc1" if entry == "avc3" else entry
    return ""


def parse_media(text: str, url: str) -> MediaPlaylist:
    """The init section and segments of a media playlist fetched from `url`."""
    init: str | None = None
    segments: list[MediaSegment] = []
    for line in read_playlist(text):
        if line.tag == MAP and line.uri is not None:
            init = urljoin(url, line.uri)
        elif line.uri_line is not None:
            extinf = line.owner(EXTINF)
            if extinf is None or extinf.duration_s is None:
                raise PlaylistError(f"segment {line.uri_line!r} has no #EXTINF duration")
            segments.append(MediaSegment(urljoin(url, line.uri_line), extinf.duration_s))
    if not segments:
        raise PlaylistError(f"the media playlist {url} lists no segment")
    return MediaPlaylist(init, tuple(segments))
