"""What an object id says about its title: the unit demand is forecast in.

Trace ids are `title/rendition/segment`; edge paths are `/v/title/version/rendition/file`.
Anything else is its own title, so an unknown naming scheme still plans, just per object.

A trace's ids are read as a whole (`describe_all`): an id that merely looks like a path with a
number at its end (a sharded hash, `3f/a9/3fa9c1e2d8f16a5093`) names no title, rendition nor
segment, and believing it would have the forecast value "positions" up to 5093 of "title" 3f
(and allocate for them: one such trace ran the replay out of memory). The numbers are believed
only when they look like segment numbers, within each (title, rendition) covering a fair part
of 0 .. the last one; otherwise every id is its own title, as an opaque id is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from vodstack.cdn.cache.trace import title_of

_TRAILING_NUMBER = re.compile(r"(\d+)(?:\.[A-Za-z0-9]+)?$")
# Segment numbers: the positions requested of each (title, rendition) cover at least this share
# of 0 .. its last one, over the trace (sum of distinct positions / sum of last + 1). Generated
# VOD traces: 0.39 or more (renditions played for a stretch mid-title lower it); trailing
# digits of hashes: about 0.0001 (the positions are random numbers up to billions).
MIN_POSITION_DENSITY = 0.02


class ObjectInfo(NamedTuple):
    title: str
    rendition: str  # "" when the id does not name one
    position: int | None  # segment number, when the last part of the id ends in one


def describe(object_id: str) -> ObjectInfo:
    """Title, rendition and segment number of an object id, as far as it tells them."""
    match = _TRAILING_NUMBER.search(object_id.rsplit("/", 1)[-1])
    rendition = rendition_of(object_id)
    position = int(match.group(1)) if match and rendition else None
    return ObjectInfo(title_of(object_id), rendition, position)


def opaque(object_id: str) -> ObjectInfo:
    """An id that says nothing: its own title, no rendition, no position."""
    return ObjectInfo(object_id, "", None)


def describe_all(
    object_ids: Sequence[str],
) -> tuple[list[ObjectInfo], Callable[[str], ObjectInfo]]:
    """Every id of a trace described, and the describer used (for ids named later): `describe`
    when the numbers the ids end in look like segment numbers (or none do), else `opaque`."""
    infos = [describe(object_id) for object_id in object_ids]
    if names_segments(infos):
        return infos, describe
    return [opaque(object_id) for object_id in object_ids], opaque


def names_segments(infos: Sequence[ObjectInfo]) -> bool:
    """Whether the positions of `infos` look like segment numbers (True when none has one)."""
    last: dict[tuple[str, str], int] = {}
    distinct: set[tuple[str, str, int]] = set()
    for info in infos:
        if info.position is not None:
            run = (info.title, info.rendition)
            last[run] = max(last.get(run, -1), info.position)
            distinct.add((info.title, info.rendition, info.position))
    spans = sum(position + 1 for position in last.values())
    return len(distinct) >= MIN_POSITION_DENSITY * spans


def name_at(object_id: str, position: int) -> str:
    """The id of the object at `position` in the same title and rendition as `object_id`
    (its trailing segment number replaced, zero-padded to the same width)."""
    head, _slash, last = object_id.rpartition("/")
    match = _TRAILING_NUMBER.search(last)
    if match is None:
        raise ValueError(f"{object_id!r} names no segment number")
    digits = match.group(1)
    number = str(position).zfill(len(digits))
    renamed = f"{last[: match.start(1)]}{number}{last[match.end(1) :]}"
    return f"{head}/{renamed}" if _slash else renamed


def rendition_of(object_id: str) -> str:
    """The rendition (ladder rung) of an object, or "" when the id does not name one."""
    parts = object_id.strip("/").split("/")
    if parts[0] == "v" and len(parts) >= 4:
        return parts[3] if len(parts) >= 5 else ""
    return parts[1] if len(parts) >= 3 else ""
