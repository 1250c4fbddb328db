"""The HLS tag grammar the platform's playlists use, read in one place.

Playback rewrites published playlists (plan filter, signed URLs) and the headless player reads
them; both take attributes and resolutions apart with these functions, so the two readers cannot
disagree on a quoted value or a malformed resolution. (RFC 8216 subset: what the packager
writes.)
"""

from __future__ import annotations

import re

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')

STREAM_INF = "#EXT-X-STREAM-INF:"
IFRAME_STREAM_INF = "#EXT-X-I-FRAME-STREAM-INF:"
MEDIA = "#EXT-X-MEDIA:"
MAP = "#EXT-X-MAP:"
EXTINF = "#EXTINF:"


def attributes(tag_line: str) -> dict[str, str]:
    """The `KEY=value` attributes of an HLS tag line, quotes removed."""
    _, _, body = tag_line.partition(":")
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(body)}


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
