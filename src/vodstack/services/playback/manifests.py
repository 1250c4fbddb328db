"""Per-session manifests: the published HLS and DASH manifests, filtered and signed.

The published files never change (asset versions are immutable); what differs per viewer is
which renditions the plan allows and which edge and token the URLs carry. So playback serves:

- the master playlist without the variants above the plan's height (variant URIs stay relative,
  so they resolve to this session's media playlist route);
- each allowed media playlist with absolute segment URLs on the session's first edge, `?t=` signed;
- the MPD without the representations above the plan's height, one `BaseURL` per ranked edge
  (DASH players fail over between them) and the token on every segment template.

A rendition's "height" is its picture's short side, so a portrait 720x1280 rendition is 720p.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from vodstack.delivery.hls import (
    IFRAME_STREAM_INF,
    MAP,
    MEDIA,
    STREAM_INF,
    read_playlist,
    short_side,
)
from vodstack.delivery.subtitles import SubtitleTrack, with_dash_subtitles

MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
_XMLNS = re.compile(r'\bxmlns(?::([A-Za-z_][\w.-]*))?="([^"]+)"')


class NoAllowedRendition(ValueError):
    """Every video rendition of the asset is above the plan's height."""


@dataclass(frozen=True)
class Variant:
    uri: str
    bandwidth: int
    height: int | None


@dataclass(frozen=True)
class FilteredMaster:
    text: str
    variants: tuple[Variant, ...]
    #: Every media playlist URI the filtered master offers (video variants and media groups).
    playlist_uris: frozenset[str]
    #: The playlist URIs the plan's height took out (asked for, they are above the plan).
    above_plan_uris: frozenset[str] = frozenset()


def _allowed(height: int | None, max_height: int) -> bool:
    # A variant without a resolution (audio-only) is never above the plan's limit.
    return height is None or height <= max_height


def filter_master(text: str, max_height: int) -> FilteredMaster:
    """Drop the variants (and I-frame playlists) above `max_height`."""
    out: list[str] = []
    variants: list[Variant] = []
    uris: set[str] = set()
    dropped: set[str] = set()
    for line in read_playlist(text):
        if line.tag in (STREAM_INF, IFRAME_STREAM_INF):
            # A variant's tag line goes with its URI line; an I-frame playlist is one line.
            height = short_side(line.attributes.get("RESOLUTION"))
            if not _allowed(height, max_height):
                if line.uri is not None:
                    dropped.add(line.uri)
                continue
            if line.uri is not None:
                uris.add(line.uri)
        elif (
            line.uri_line is not None and line.parent is not None and line.parent.tag == STREAM_INF
        ):
            attrs = line.parent.attributes
            height = short_side(attrs.get("RESOLUTION"))
            if not _allowed(height, max_height):
                dropped.add(line.uri_line)
                continue
            variants.append(Variant(line.uri_line, int(attrs.get("BANDWIDTH", "0")), height))
            uris.add(line.uri_line)
        elif line.tag == MEDIA and line.uri is not None:
            uris.add(line.uri)
        out.append(line.text)
    if not any(v.height is not None for v in variants):
        raise NoAllowedRendition(f"no video rendition at or below {max_height}p")
    # A URI also listed at an allowed height (shared by two variants) is not above the plan.
    above = frozenset(dropped - uris)
    return FilteredMaster("\n".join(out) + "\n", tuple(variants), frozenset(uris), above)


def with_token(url: str, token: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}t={token}"


def sign_media_playlist(text: str, playlist_url: str, token: str) -> str:
    """Make every segment and init URI absolute (against `playlist_url`) and signed."""
    out: list[str] = []
    for line in read_playlist(text):
        if line.uri is not None and (line.tag == MAP or line.uri_line is not None):
            out.append(line.with_uri(with_token(urljoin(playlist_url, line.uri), token)))
        else:
            out.append(line.text)
    return "\n".join(out) + "\n"


# -- DASH ------------------------------------------------------------------------------------


def _q(tag: str) -> str:
    return f"{{{MPD_NS}}}{tag}"


def _register_namespaces(text: str) -> None:
    # ElementTree renames namespaces to ns0.. on output unless told the document's prefixes.
    for prefix, uri in _XMLNS.findall(text):
        ET.register_namespace(prefix, uri)


def _representation_height(rep: ET.Element, adaptation: ET.Element) -> int | None:
    width = rep.get("width") or adaptation.get("width")
    height = rep.get("height") or adaptation.get("height")
    if width is None or height is None or not (width.isdigit() and height.isdigit()):
        return None
    return min(int(width), int(height))


def _filter_adaptation(adaptation: ET.Element, max_height: int) -> tuple[int, int]:
    """Remove representations above `max_height`; (video kept, video removed)."""
    kept = removed = 0
    for rep in adaptation.findall(_q("Representation")):
        height = _representation_height(rep, adaptation)
        if height is None:
            continue
        if height > max_height:
            adaptation.remove(rep)
            removed += 1
        else:
            kept += 1
    return kept, removed


def _shrink_limits(adaptation: ET.Element) -> None:
    """Keep `maxWidth`/`maxHeight` truthful once the top representations are gone."""
    reps = adaptation.findall(_q("Representation"))
    for attribute in ("width", "height"):
        limit = "max" + attribute.capitalize()
        values = [int(v) for rep in reps if (v := rep.get(attribute)) and v.isdigit()]
        if adaptation.get(limit) is not None and values:
            adaptation.set(limit, str(max(values)))


_URL_ATTRIBUTES = (
    ("SegmentTemplate", "media"),
    ("SegmentTemplate", "initialization"),
    ("SegmentTemplate", "index"),
    ("SegmentURL", "media"),
    ("Initialization", "sourceURL"),
    ("RepresentationIndex", "sourceURL"),
)


def _sign_templates(root: ET.Element, token: str) -> None:
    for tag, attribute in _URL_ATTRIBUTES:
        for element in root.iter(_q(tag)):
            value = element.get(attribute)
            if value:
                element.set(attribute, with_token(value, token))


def _set_base_urls(root: ET.Element, base_urls: list[str]) -> None:
    for old in root.findall(_q("BaseURL")):
        root.remove(old)
    # Schema order: ProgramInformation* precede BaseURL*.
    index = len(root.findall(_q("ProgramInformation")))
    for offset, url in enumerate(base_urls):
        element = ET.Element(_q("BaseURL"))
        element.text = url
        root.insert(index + offset, element)


def filter_mpd(
    text: str,
    max_height: int,
    base_urls: list[str],
    token: str,
    subtitles: Sequence[SubtitleTrack] = (),
) -> str:
    """The MPD without representations above `max_height`, on `base_urls`, signed, with a text
    AdaptationSet per subtitle track."""
    _register_namespaces(text)
    # The MPD is the packager's own output read from the object store, not a client's XML.
    root = ET.fromstring(text)  # noqa: S314
    kept_total = 0
    for period in root.findall(_q("Period")):
        for adaptation in period.findall(_q("AdaptationSet")):
            kept, removed = _filter_adaptation(adaptation, max_height)
            kept_total += kept
            if removed and not kept:
                period.remove(adaptation)
            elif removed:
                _shrink_limits(adaptation)
    if kept_total == 0:
        raise NoAllowedRendition(f"no video representation at or below {max_height}p")
    _set_base_urls(root, base_urls)
    _sign_templates(root, token)
    for period in root.findall(_q("Period")):
        with_dash_subtitles(period, list(subtitles), token)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
