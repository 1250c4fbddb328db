"""What an object id says about its title: the unit demand is forecast in.

Trace ids are `title/rendition/segment`; edge paths are `/v/title/version/rendition/file`.
Anything else is its own title, so an unknown naming scheme still plans, just per object.
"""

from __future__ import annotations


def title_of(object_id: str) -> str:
    """The title an object belongs to."""
    parts = object_id.strip("/").split("/")
    if parts[0] == "v" and len(parts) >= 4:
        return parts[1]
    return parts[0] if len(parts) >= 2 else object_id


def rendition_of(object_id: str) -> str:
    """The rendition (ladder rung) of an object, or "" when the id does not name one."""
    parts = object_id.strip("/").split("/")
    if parts[0] == "v" and len(parts) >= 5:
        return parts[3]
    return parts[1] if len(parts) >= 3 else ""
