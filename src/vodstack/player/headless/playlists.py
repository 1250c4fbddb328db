"""Reading HLS playlists the way a player does: variants from the master, segments per rendition.

Only what VOD playback of the platform's own CMAF assets needs (RFC 8216 subset): variant
bandwidth and resolution, the audio group's playlist, `EXT-X-MAP` and `EXTINF` entries.
URIs are resolved against the playlist's own URL, as a browser resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from vodstack.delivery.hls import attributes, resolution


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
    pending: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-STREAM-INF:"):
            pending = attributes(line)
        elif line.startswith("#EXT-X-MEDIA:"):
            attrs = attributes(line)
            is_default = attrs.get("DEFAULT") == "YES" or audio is None
            if attrs.get("TYPE") == "AUDIO" and "URI" in attrs and is_default:
                audio = urljoin(url, attrs["URI"])
        elif line and not line.startswith("#") and pending is not None:
            width, height = resolution(pending.get("RESOLUTION"))
            bandwidth = int(pending.get("BANDWIDTH", "0"))
            variants.append(VariantStream(urljoin(url, line), bandwidth, width, height))
            pending = None
    if not variants:
        raise PlaylistError("the master playlist lists no variant stream")
    return MasterPlaylist(tuple(sorted(variants, key=lambda v: v.bandwidth_bps)), audio)


def parse_media(text: str, url: str) -> MediaPlaylist:
    """The init section and segments of a media playlist fetched from `url`."""
    init: str | None = None
    segments: list[MediaSegment] = []
    duration: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXT-X-MAP:"):
            init = urljoin(url, attributes(line)["URI"])
        elif line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#"):
            if duration is None:
                raise PlaylistError(f"segment {line!r} has no #EXTINF duration")
            segments.append(MediaSegment(urljoin(url, line), duration))
            duration = None
    if not segments:
        raise PlaylistError(f"the media playlist {url} lists no segment")
    return MediaPlaylist(init, tuple(segments))
