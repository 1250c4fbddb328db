"""The HLS playlist reader, in one place: playback rewrites published playlists (plan filter,
signed URLs) and the headless player reads them, both through `read_playlist`, so the two
cannot disagree on a quoted value, a malformed resolution or which tag a URI belongs to.
(RFC 8216 subset: what the packager writes.)

    for line in read_playlist(text):
        line.tag          "#EXT-X-STREAM-INF", "#EXTINF", ... ("" for a URI or a blank line)
        line.attributes   the tag's `KEY=value` list, quotes removed
        line.uri          a URI line's URI, or a tag's URI attribute (EXT-X-MAP, EXT-X-MEDIA)
        line.parent       for a URI line: the EXT-X-STREAM-INF or EXTINF tag it belongs to
        line.owner(tag)   the parent if it is a `tag` line, else None
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_URI_ATTRIBUTE = re.compile(r'(URI=")([^"]*)(")')

STREAM_INF = "#EXT-X-STREAM-INF"
IFRAME_STREAM_INF = "#EXT-X-I-FRAME-STREAM-INF"
MEDIA = "#EXT-X-MEDIA"
MAP = "#EXT-X-MAP"
EXTINF = "#EXTINF"
#: In the master of an encrypted version (pipeline media.protection): the key players need.
SESSION_KEY = "#EXT-X-SESSION-KEY"
#: Tags a URI line belongs to (the next URI line is theirs).
_URI_OWNERS = frozenset({STREAM_INF, EXTINF})


@dataclass(frozen=True)
class PlaylistLine:
    """One line of a playlist: a tag, a URI (with the tag it belongs to), or a blank."""

    text: str  # as written, for rewriters that keep the line
    tag: str = ""
    value: str = ""  # what follows the tag's colon
    uri_line: str | None = None
    parent: PlaylistLine | None = None

    @cached_property
    def attributes(self) -> dict[str, str]:
        return attributes(self.value)

    @property
    def uri(self) -> str | None:
        if self.uri_line is not None:
            return self.uri_line
        return self.attributes.get("URI") if self.tag in (MAP, MEDIA, IFRAME_STREAM_INF) else None

    @property
    def duration_s(self) -> float | None:
        """An EXTINF tag's duration (the number before its comma)."""
        if self.tag != EXTINF:
            return None
        return float(self.value.split(",", 1)[0])

    def owner(self, tag: str) -> PlaylistLine | None:
        """For a URI line: the `tag` line it belongs to (its variant's STREAM-INF, its EXTINF)."""
        if self.uri_line is None or self.parent is None or self.parent.tag != tag:
            return None
        return self.parent

    def with_uri(self, uri: str) -> str:
        """This line's text with its URI (line or `URI=` attribute) replaced."""
        if self.uri_line is not None:
            return uri
        return _URI_ATTRIBUTE.sub(lambda m: m.group(1) + uri + m.group(3), self.text.strip())


def read_playlist(text: str) -> Iterator[PlaylistLine]:
    """Every line of a playlist, tags parsed, each URI line tied to the tag before it."""
    owner: PlaylistLine | None = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#"):
            tag, _, value = stripped.partition(":")
            line = PlaylistLine(raw, tag, value)
            if tag in _URI_OWNERS:
                owner = line
            yield line
        elif stripped:
            yield PlaylistLine(raw, uri_line=stripped, parent=owner)
            owner = None
        else:
            yield PlaylistLine(raw)


def attributes(attribute_list: str) -> dict[str, str]:
    """The `KEY=value` attributes of a tag's value, quotes removed (a whole tag line works too:
    everything up to its first colon is skipped)."""
    if attribute_list.startswith("#"):
        attribute_list = attribute_list.partition(":")[2]
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(attribute_list)}


def resolution(value: str | None) -> tuple[int | None, int | None]:
    """`1280x720` -> (1280, 720); (None, None) when absent or malformed."""
    width, _, height = (value or "").partition("x")
    if width.isdigit() and height.isdigit():
        return int(width), int(height)
    return None, None


def short_side(value: str | None) -> int | None:
    """`1280x720` -> 720 (a portrait 720x1280 rendition is 720p too); None when malformed."""
    width, height = resolution(value)
    if width is None or height is None:
        return None
    return min(width, height)


def is_encrypted(master: str) -> bool:
    """Whether a published master playlist announces a content key (a CENC version)."""
    return any(line.tag == SESSION_KEY for line in read_playlist(master))
