"""What an object id says about its title: the unit demand is forecast in.

Trace ids are `title/rendition/segment`; edge paths are `/v/title/version/rendition/file`.
Anything else is its own title, so an unknown naming scheme still plans, just per object.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from vodstack.cdn.cache.trace import title_of

_TRAILING_NUMBER = re.compile(r"(\d+)(?:\.[A-Za-z0-9]+)?$")


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
